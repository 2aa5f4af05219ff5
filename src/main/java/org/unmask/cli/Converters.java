package org.unmask.cli;

import org.unmask.diffusion.InvalidSettingException;
import org.unmask.diffusion.CacheMode;
import org.unmask.diffusion.Remasking;
import org.unmask.diffusion.Setting;
import org.unmask.diffusion.RemdmConfig;
import org.unmask.model.io.GgufFileType;
import org.unmask.model.kernels.GemmBenchmark;
import org.unmask.model.tensor.DType;
import org.unmask.model.tensor.Quantizer;
import org.unmask.train.LrSchedule;
import org.unmask.train.ObjectiveKind;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/** Typed option values spelled in lower case on the command line; picocli reports a bad value with the option's name. */
final class Converters {
    private Converters() {}

    /** Runs a parser, turning its error into picocli's, which prints "Invalid value for option '--x': MESSAGE". */
    private static <T> T typed(java.util.function.Supplier<T> parse) {
        try {
            return parse.get();
        } catch (InvalidSettingException e) {
            throw new TypeConversionException(e.message(Setting::flag));
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** {@code diffusion} or {@code ar}. */
    static final class Objective implements ITypeConverter<ObjectiveKind> {
        @Override public ObjectiveKind convert(String s) { return typed(() -> ObjectiveKind.parse(s)); }
    }

    /** {@code cosine} or {@code wsd}. */
    static final class Schedule implements ITypeConverter<LrSchedule.Kind> {
        @Override public LrSchedule.Kind convert(String s) { return typed(() -> LrSchedule.kind(s)); }
    }

    /** {@code forward}, {@code backward-input} or {@code backward-weight}. */
    static final class GemmMode implements ITypeConverter<GemmBenchmark.Mode> {
        @Override public GemmBenchmark.Mode convert(String s) { return typed(() -> GemmBenchmark.Mode.parse(s)); }
    }

    /** A remasking rule: {@code low_confidence}, {@code random} or one of Dream's algorithms. */
    static final class RemaskingRule implements ITypeConverter<Remasking> {
        @Override public Remasking convert(String s) { return typed(() -> Remasking.parse(s)); }
    }

    /** A KV cache mode: {@code none}, {@code prefix} or {@code dual}. */
    static final class Cache implements ITypeConverter<CacheMode> {
        @Override public CacheMode convert(String s) { return typed(() -> CacheMode.parse(s)); }
    }

    /** A ReMDM schedule: {@code cap}, {@code rescale} or {@code conf}. */
    static final class RemdmSchedule implements ITypeConverter<RemdmConfig.Schedule> {
        @Override public RemdmConfig.Schedule convert(String s) { return typed(() -> RemdmConfig.Schedule.parse(s)); }
    }

    /** A floating-point weight format: {@code f32}, {@code bf16} or {@code f16} (or their long names). */
    static final class FloatType implements ITypeConverter<DType> {
        @Override public DType convert(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "f32", "float32" -> DType.F32;
                case "bf16", "bfloat16" -> DType.BF16;
                case "f16", "float16" -> DType.F16;
                default -> throw new TypeConversionException("expected f32, bf16 or f16, got '" + s + "'");
            };
        }
    }

    /** A block format weights are quantized to while loading: one that {@link Quantizer#writes}, e.g. {@code q4_k}. */
    static final class BlockType implements ITypeConverter<DType> {
        @Override public DType convert(String s) {
            for (DType t : DType.values())
                if (Quantizer.writes(t) && t.name().equalsIgnoreCase(s.trim())) return t;
            throw new TypeConversionException("expected " + BLOCK_TYPES + ", got '" + s + "'");
        }
    }

    /** The names {@link BlockType} accepts. */
    static final String BLOCK_TYPES = "q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_k, q3_k, q4_k, q5_k, q6_k or iq4_xs";

    /** A GGUF file type as llama-quantize names it (q8_0, q4_0, q4_k_m, ...). */
    static final class GgufType implements ITypeConverter<GgufFileType> {
        @Override public GgufFileType convert(String s) {
            try {
                return GgufFileType.parse(s);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A weight format for the forward product: the float types or a ggml block format {@link BlockType} accepts. */
    static final class WeightType implements ITypeConverter<DType> {
        @Override public DType convert(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "f32", "float32", "bf16", "bfloat16", "f16", "float16" -> new FloatType().convert(s);
                default -> {
                    try {
                        yield new BlockType().convert(s);
                    } catch (TypeConversionException e) {
                        throw new TypeConversionException("expected f32, bf16, f16, " + BLOCK_TYPES + ", got '" + s + "'");
                    }
                }
            };
        }
    }
}
