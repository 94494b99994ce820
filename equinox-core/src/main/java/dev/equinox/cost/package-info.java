/**
 * Engine cost models: how long a step takes and what each request in it costs. Entry point:
 * {@link dev.equinox.cost.CostModels}.
 *
 * <ul>
 * <li>{@link dev.equinox.cost.CalibratedCostModel}: per-operation fits to the Vidur profiler's measurements, for
 * the setups listed in {@link dev.equinox.cost.Calibration}; the simulator's default
 * ({@link dev.equinox.cost.CostModels#calibrated()}, Llama-2-7B on one A100).</li>
 * <li>{@link dev.equinox.cost.RooflineCostModel}: datasheet peaks of a {@link dev.equinox.cost.Gpu} and the
 * dimensions of a {@link dev.equinox.cost.ModelShape}, with optional efficiency factors.</li>
 * <li>{@link dev.equinox.cost.ProfileCostModel}: a least-squares fit to a measured step profile CSV.</li>
 * <li>{@link dev.equinox.cost.OnlineCorrectedCostModel}: wraps any model and corrects it from measured step
 * times.</li>
 * <li>{@link dev.equinox.cost.LinearCostModel}: VTC's linear step times.</li>
 * </ul>
 *
 * Formulas, fit method and measured errors: {@code docs/cost-model.md}.
 */
package dev.equinox.cost;
