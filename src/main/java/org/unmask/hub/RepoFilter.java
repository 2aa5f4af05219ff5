package org.unmask.hub;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which repository files to download, with huggingface_hub's {@code allow_patterns} / {@code ignore_patterns}
 * rules: a file is taken when it matches any include pattern (or there are none) and no exclude pattern. Patterns
 * are fnmatch globs over the whole path: {@code *} also crosses {@code /}, {@code ?} is one character,
 * {@code [abc]} / {@code [!abc]} a set, and a pattern ending in {@code /} means everything under that folder.
 */
public record RepoFilter(List<String> include, List<String> exclude) {
    /** Every file. */
    public static final RepoFilter ALL = new RepoFilter(List.of(), List.of());

    /**
     * What loading a model needs: everything but weight formats Unmask cannot read (a repository may carry PyTorch,
     * TensorFlow, Flax, ONNX or GGUF copies of its safetensors weights, often as large again).
     */
    public static final RepoFilter MODEL = new RepoFilter(List.of(), List.of("*.bin", "*.pt", "*.pth", "*.ckpt",
            "*.h5", "*.msgpack", "*.onnx", "*.gguf", "*.tflite", "*.ot", "*.pkl"));

    public RepoFilter {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        for (String p : include) Glob.compile(p);
        for (String p : exclude) Glob.compile(p);
    }

    /** Whether {@code path} is to be downloaded. */
    public boolean accepts(String path) {
        return (include.isEmpty() || include.stream().anyMatch(p -> Glob.matches(p, path)))
                && exclude.stream().noneMatch(p -> Glob.matches(p, path));
    }

    /** Python's {@code fnmatch} translated to a regular expression. */
    static final class Glob {
        private Glob() {}

        static boolean matches(String glob, String path) { return compile(glob).matcher(path).matches(); }

        static Pattern compile(String glob) {
            // huggingface_hub: a pattern for a folder takes everything in it
            if (glob.endsWith("/")) glob = glob + "*";
            StringBuilder re = new StringBuilder();
            int i = 0, n = glob.length();
            while (i < n) {
                char c = glob.charAt(i++);
                switch (c) {
                    case '*' -> {
                        re.append(".*");
                        while (i < n && glob.charAt(i) == '*') i++;
                    }
                    case '?' -> re.append('.');
                    case '[' -> i = charClass(glob, i, re);
                    default -> re.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return Pattern.compile(re.toString(), Pattern.DOTALL);
        }

        /** Appends the set that starts after {@code [} at {@code i}; returns the index after it. An unclosed {@code [} is literal. */
        private static int charClass(String glob, int i, StringBuilder re) {
            int j = i;
            if (j < glob.length() && glob.charAt(j) == '!') j++;
            if (j < glob.length() && glob.charAt(j) == ']') j++;
            while (j < glob.length() && glob.charAt(j) != ']') j++;
            if (j >= glob.length()) {
                re.append("\\[");
                return i;
            }
            String body = glob.substring(i, j);
            StringBuilder set = new StringBuilder("[");
            int k = 0;
            if (body.startsWith("!")) {
                set.append('^');
                k = 1;
            }
            for (; k < body.length(); k++) {
                char c = body.charAt(k);
                // inside a Java class these have meanings fnmatch does not give them; '-' keeps its range meaning
                if (c == '\\' || c == '[' || c == ']' || c == '&' || c == '^') set.append('\\');
                set.append(c);
            }
            re.append(set).append(']');
            return j + 1;
        }
    }
}
