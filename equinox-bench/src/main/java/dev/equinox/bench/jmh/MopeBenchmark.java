package dev.equinox.bench.jmh;

import dev.equinox.RequestSpec;
import dev.equinox.mope.Mope;
import dev.equinox.mope.MopeCommand;
import dev.equinox.spi.Prediction;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one MoPE prediction with the bundled default model: tokenize + encode + route + expert (+ the cost
 * model's latency, throughput and utilization), i.e. {@link Mope#predict(RequestSpec)}, at prompts of exactly
 * 32, 128 and 512 encoder tokens ({@link MopeCommand#promptOfTokens}: English words that are one WordPiece each;
 * pre-generated). Sample-time mode, so the output has p50/p90/p99 per length: the target is p50 &lt;= 4.5 ms
 * on 2 CPU cores. The bundled model encodes at depth 0 (MiniLM's embedding layer, computed in plain Java), so a
 * prediction makes no call into the PyTorch engine and batching has nothing to amortise: the cost is the Rust
 * tokenizer, the embedding average, the regular-expression rules and four small MLPs (the router and the three
 * experts; docs/mope.md splits it). One PyTorch thread is set anyway, for models trained at a deeper depth.
 *
 * <p>Run (after {@code ./mvnw -B -o -q -pl equinox-bench -am package -DskipTests}):
 * <pre>
 * java -cp equinox-bench/target/equinox.jar org.openjdk.jmh.Main MopeBenchmark
 * java -cp equinox-bench/target/equinox.jar org.openjdk.jmh.Main MopeBenchmark -p tokens=128 -f 1 -wi 2 -i 3
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dai.djl.offline=true"})
public class MopeBenchmark {
    /** Prompt length in encoder tokens, [CLS] and [SEP] included. */
    @Param({"32", "128", "512"})
    public int tokens;

    private Mope mope;
    private RequestSpec request;

    /** Loads the bundled model (one PyTorch thread). */
    @Setup
    public void setup() {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        mope = Mope.loadDefault();
        request = RequestSpec.of("bench", tokens - 2, 4096).withPromptText(MopeCommand.promptOfTokens(tokens));
    }

    /** One prediction. */
    @Benchmark
    public Prediction predict() {
        return mope.predict(request);
    }

    /** Frees the native encoder. */
    @TearDown
    public void tearDown() {
        mope.close();
    }
}
