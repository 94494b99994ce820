/**
 * The trace-replay simulator: the real scheduler on virtual time. Entry point:
 * {@link dev.equinox.bench.sim.Simulator#run(dev.equinox.bench.workload.Workload, dev.equinox.bench.sim.SimConfig)};
 * the one configuration is {@link dev.equinox.bench.sim.SimConfig}; policies and cost models are looked up by name
 * in {@link dev.equinox.bench.sim.PolicyRegistry} and {@link dev.equinox.bench.sim.CostModelRegistry}.
 */
package dev.equinox.bench.sim;
