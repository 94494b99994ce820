/**
 * Equinox: a fairness-aware scheduler for LLM serving engines.
 *
 * <p>Entry point: {@link dev.equinox.Equinox#builder()} builds a {@link dev.equinox.Scheduler}. Callers
 * {@linkplain dev.equinox.Scheduler#submit submit} {@link dev.equinox.RequestSpec}s from any thread; the engine
 * thread loops on {@link dev.equinox.Scheduler#nextBatch()} and {@link dev.equinox.Scheduler#complete}.
 * Policies come from {@link dev.equinox.Policies}, predictors from {@link dev.equinox.Predictors}.
 */
package dev.equinox;
