package org.unmask.text;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Pre-tokenizer split patterns and the translation of Hugging Face (Oniguruma) patterns to java.util.regex. */
public final class Regexes {

    /** The Llama-3 split pattern (also used by LLaDA and by our trained tokenizers). */
    public static final String LLAMA3 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The Qwen2 / Dream split pattern: like Llama-3 but one digit per pre-token. */
    public static final String QWEN2 =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
                    + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** The pattern built into the GPT-2 ByteLevel pre-tokenizer. */
    public static final String GPT2 =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    // Oniguruma's Unicode \s: tab..carriage return, the Zs, Zl and Zp characters and NEL. Java's \s is ASCII only.
    private static final String SPACE = "\\t\\n\\x0B\\f\\r\\x20\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";
    // Unicode word characters (UTS #18): Alphabetic, marks, decimal digits, connector punctuation, ZWJ/ZWNJ.
    private static final String WORD = "\\p{IsAlphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{IsJoin_Control}";

    private Regexes() {}

    /** Compiles a tokenizer.json pattern with the Unicode meaning of \s, \d, \w and case-insensitive groups. */
    public static Pattern compile(String hfPattern) {
        return Pattern.compile(translate(hfPattern));
    }

    /** Rewrites the places where Oniguruma and java.util.regex differ in meaning. */
    static String translate(String p) {
        StringBuilder out = new StringBuilder(p.length() + 64);
        int classDepth = 0;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < p.length()) {
                char e = p.charAt(++i);
                boolean inClass = classDepth > 0;
                switch (e) {
                    case 's' -> out.append(inClass ? SPACE : "[" + SPACE + "]");
                    case 'S' -> out.append("[^" + SPACE + "]");
                    case 'd' -> out.append("\\p{Nd}");
                    case 'D' -> out.append("\\P{Nd}");
                    case 'w' -> out.append(inClass ? WORD : "[" + WORD + "]");
                    case 'W' -> out.append("[^" + WORD + "]");
                    case 'h' -> out.append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
                    case 'p', 'P' -> i = property(p, i, e, out);
                    default -> out.append('\\').append(e);
                }
            } else if (c == '[') {
                out.append(c);
                classDepth++;
                // A ']' right after '[' or '[^' is a literal in both dialects.
                if (i + 1 < p.length() && p.charAt(i + 1) == '^') out.append(p.charAt(++i));
                if (i + 1 < p.length() && p.charAt(i + 1) == ']') { out.append("\\]"); i++; }
            } else if (c == ']' && classDepth > 0) {
                out.append(c);
                classDepth--;
            } else if (c == '(' && classDepth == 0 && p.startsWith("(?i", i) && !p.startsWith("(?iu", i)) {
                // Oniguruma folds case over all of Unicode; Java needs the u flag for that.
                out.append("(?iu");
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static int property(String p, int i, char kind, StringBuilder out) {
        if (i + 1 < p.length() && p.charAt(i + 1) == '{') {
            int close = p.indexOf('}', i);
            if (close < 0) throw new PatternSyntaxException("unclosed property", p, i);
            String name = p.substring(i + 2, close);
            boolean negate = name.startsWith("^");
            if (negate) name = name.substring(1);
            char k = negate ? (kind == 'p' ? 'P' : 'p') : kind;
            // Categories, scripts and binary properties all resolve in Java with the "Is" prefix.
            String javaName = name.length() <= 2 || name.startsWith("Is") || name.startsWith("In") ? name : "Is" + name;
            out.append('\\').append(k).append('{').append(javaName).append('}');
            return close;
        }
        out.append('\\').append(kind);
        return i;
    }
}
