/**
 * JMH microbenchmarks, packaged in {@code equinox-bench/target/equinox.jar}; run with
 * {@code java -cp equinox-bench/target/equinox.jar org.openjdk.jmh.Main NAME}. See
 * {@link dev.equinox.bench.jmh.NextBatchBenchmark}.
 */
package dev.equinox.bench.jmh;
