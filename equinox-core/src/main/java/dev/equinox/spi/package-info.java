/**
 * Service-provider interfaces: {@link dev.equinox.spi.SchedulingPolicy} (order and accounting),
 * {@link dev.equinox.spi.Predictor} (output length and cost before a request runs),
 * {@link dev.equinox.spi.EngineCostModel} (step times), {@link dev.equinox.spi.GpuTelemetry} (utilization).
 */
package dev.equinox.spi;
