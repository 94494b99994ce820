/**
 * MoPE, the Mixture of Prediction Experts: predicts a request's output length (and from it latency, throughput
 * and GPU utilization) from its prompt before it runs, for core's scheduler. Entry point: {@link dev.equinox.mope.Mope}
 * ({@code Mope.loadDefault()}), a {@link dev.equinox.spi.Predictor} also registered as {@code "mope"} through
 * {@link dev.equinox.mope.MopePredictorProvider}; the {@code mope} command ({@link dev.equinox.mope.MopeCommand})
 * trains, evaluates and times models. Every failure is a {@link dev.equinox.mope.MopeException}.
 *
 * <p>Inside (package-private): {@code MopeTokenizer} (DJL HuggingFace tokenizers), {@code OnnxReader} and
 * {@code BertEncoder} (a HuggingFace-compatible BERT on the DJL PyTorch engine, weights read from a BERT-family
 * ONNX export: all-MiniLM-L6-v2 from Maven Central by default), {@code LengthRules} and {@code Mlp} (router and
 * experts), {@code MopeModel} (the trained files), {@code MopeTrainer}, {@code MopeEvaluator}, {@code MopeStudy}
 * and {@code TopLayerTuner} (the measurements in docs/mope.md). Nothing is downloaded at run time.
 */
package dev.equinox.mope;
