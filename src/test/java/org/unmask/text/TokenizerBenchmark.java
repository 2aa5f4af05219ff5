package org.unmask.text;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Tokenizer speed: encoding 1 MB of text with a trained 4096-token BPE (cold cache each call), and training a
 * 4096 vocabulary on a synthetic 10 MB corpus. Run with
 * {@code java -cp target/classes:target/test-classes:$(deps) org.openjdk.jmh.Main TokenizerBenchmark}.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g"})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TokenizerBenchmark {

    @Param({"10"})
    public int corpusMegabytes;

    private List<String> corpus;
    private String oneMegabyte;
    private HfTokenizer tokenizer;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        corpus = syntheticCorpus(corpusMegabytes * 1_000_000L, 7);
        oneMegabyte = String.join("\n", syntheticCorpus(1_000_000L, 11));
        tokenizer = BpeTrainer.train(syntheticCorpus(2_000_000L, 3), 4096);
    }

    /** Lines of words drawn from the sample texts, invented syllable words and numbers (seeded). */
    static List<String> syntheticCorpus(long bytes, long seed) throws IOException {
        List<String> words = new ArrayList<>();
        for (String doc : FixtureGenerator.sampleDocuments()) words.addAll(List.of(doc.split("\\s+")));
        String[] syllables = {"ka", "to", "ri", "men", "sa", "lo", "ver", "in", "ex", "pre", "con", "ta", "ble", "ing",
                "ed", "ly", "tion", "ar", "ol", "um"};
        Random rnd = new Random(seed);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder w = new StringBuilder();
            for (int k = 1 + rnd.nextInt(4); k > 0; k--) w.append(syllables[rnd.nextInt(syllables.length)]);
            words.add(w.toString());
        }
        List<String> lines = new ArrayList<>();
        long size = 0;
        while (size < bytes) {
            StringBuilder line = new StringBuilder();
            for (int n = 5 + rnd.nextInt(25); n > 0; n--) {
                if (!line.isEmpty()) line.append(' ');
                if (rnd.nextInt(10) == 0) line.append(rnd.nextInt(100_000_000));
                else line.append(words.get(rnd.nextInt(words.size())));
            }
            lines.add(line.toString());
            size += line.length() + 1;
        }
        return lines;
    }

    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @Warmup(iterations = 3, time = 2)
    @Measurement(iterations = 5, time = 2)
    public int[] encodeOneMegabyte() throws IOException {
        // A fresh tokenizer per call keeps the pre-token cache cold, the worst case for a new corpus.
        HfTokenizer cold = HfTokenizer.fromJson(tokenizer.json(), "benchmark");
        return cold.encode(oneMegabyte, false);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @Warmup(iterations = 1)
    @Measurement(iterations = 3)
    public HfTokenizer train4096() throws IOException {
        return BpeTrainer.train(corpus, 4096);
    }
}
