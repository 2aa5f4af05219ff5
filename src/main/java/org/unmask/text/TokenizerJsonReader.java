package org.unmask.text;

import com.fasterxml.jackson.databind.JsonNode;

import java.text.Normalizer.Form;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Builds the components of a tokenizer from the parsed tokenizer.json tree, naming the file in every error. */
final class TokenizerJsonReader {

    private final String source;

    TokenizerJsonReader(String source) { this.source = source; }

    TokenizerFormatException error(String message) { return new TokenizerFormatException(source, message); }

    Normalizer normalizer(JsonNode n) throws TokenizerFormatException {
        if (isNull(n)) return null;
        String type = type(n, "normalizer");
        return switch (type) {
            case "BertNormalizer" -> {
                boolean lowercase = bool(n, "lowercase", true);
                JsonNode strip = n.get("strip_accents");
                yield new Normalizer.Bert(bool(n, "clean_text", true), bool(n, "handle_chinese_chars", true),
                        isNull(strip) ? lowercase : strip.asBoolean(), lowercase);
            }
            case "NFC" -> new Normalizer.UnicodeForm(Form.NFC);
            case "NFD" -> new Normalizer.UnicodeForm(Form.NFD);
            case "NFKC" -> new Normalizer.UnicodeForm(Form.NFKC);
            case "NFKD" -> new Normalizer.UnicodeForm(Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "StripAccents" -> new Normalizer.StripAccents();
            case "Strip" -> new Normalizer.Strip(bool(n, "strip_left", true), bool(n, "strip_right", true));
            case "Replace" -> new Normalizer.Replace(pattern(n.get("pattern"), "normalizer Replace"), text(n, "content"));
            case "Prepend" -> new Normalizer.Prepend(text(n, "prepend"));
            case "Sequence" -> {
                List<Normalizer> steps = new ArrayList<>();
                for (JsonNode c : array(n, "normalizers")) steps.add(normalizer(c));
                yield new Normalizer.Sequence(steps);
            }
            default -> throw unsupported("normalizer", type);
        };
    }

    PreTokenizer preTokenizer(JsonNode n) throws TokenizerFormatException {
        if (isNull(n)) return null;
        String type = type(n, "pre_tokenizer");
        return switch (type) {
            case "ByteLevel" -> new PreTokenizer.ByteLevel(bool(n, "add_prefix_space", true), bool(n, "use_regex", true));
            case "Split" -> new PreTokenizer.Split(pattern(n.get("pattern"), "pre_tokenizer Split"),
                    behavior(text(n, "behavior")), bool(n, "invert", false));
            case "BertPreTokenizer" -> new PreTokenizer.Bert();
            case "Whitespace" -> new PreTokenizer.Whitespace();
            case "WhitespaceSplit" -> new PreTokenizer.WhitespaceSplit();
            case "Digits" -> new PreTokenizer.Digits(bool(n, "individual_digits", false));
            case "Metaspace" -> new PreTokenizer.Metaspace(metaspaceReplacement(n), prependScheme(n), bool(n, "split", true));
            case "Sequence" -> {
                List<PreTokenizer> steps = new ArrayList<>();
                for (JsonNode c : array(n, "pretokenizers")) steps.add(preTokenizer(c));
                yield new PreTokenizer.Sequence(steps);
            }
            default -> throw unsupported("pre_tokenizer", type);
        };
    }

    TokenModel model(JsonNode n) throws TokenizerFormatException {
        if (isNull(n)) throw error("no \"model\"");
        String type = n.hasNonNull("type") ? n.get("type").asText() : n.has("merges") ? "BPE" : "WordPiece";
        Map<String, Integer> vocab = vocab(n.get("vocab"));
        return switch (type) {
            case "BPE" -> new BpeModel(vocab, merges(n.get("merges")), optText(n, "unk_token"),
                    optText(n, "continuing_subword_prefix"), optText(n, "end_of_word_suffix"), bool(n, "fuse_unk", false),
                    bool(n, "byte_fallback", false), bool(n, "ignore_merges", false), source);
            case "WordPiece" -> new WordPieceModel(vocab, orDefault(optText(n, "unk_token"), "[UNK]"),
                    orDefault(optText(n, "continuing_subword_prefix"), "##"),
                    n.has("max_input_chars_per_word") ? n.get("max_input_chars_per_word").asInt() : 100, source);
            default -> throw unsupported("model", type);
        };
    }

    PostProcessor postProcessor(JsonNode n) throws TokenizerFormatException {
        if (isNull(n)) return null;
        String type = type(n, "post_processor");
        return switch (type) {
            case "TemplateProcessing" -> template(n);
            case "BertProcessing", "RobertaProcessing" -> new PostProcessor.Wrap(tokenPairId(n.get("cls"), "cls"),
                    tokenPairId(n.get("sep"), "sep"), type.equals("RobertaProcessing"));
            case "ByteLevel" -> new PostProcessor.Identity();
            case "Sequence" -> {
                List<PostProcessor> steps = new ArrayList<>();
                for (JsonNode c : array(n, "processors")) steps.add(postProcessor(c));
                if (steps.stream().filter(p -> !(p instanceof PostProcessor.Identity)).count() > 1)
                    throw error("post_processor Sequence has more than one processor that adds tokens");
                yield new PostProcessor.Sequence(steps);
            }
            default -> throw unsupported("post_processor", type);
        };
    }

    Decoder decoder(JsonNode n) throws TokenizerFormatException {
        if (isNull(n)) return null;
        String type = type(n, "decoder");
        return switch (type) {
            case "ByteLevel" -> new Decoder.ByteLevel();
            case "WordPiece" -> new Decoder.WordPiece(orDefault(optText(n, "prefix"), "##"), bool(n, "cleanup", true));
            case "Fuse" -> new Decoder.Fuse();
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Metaspace" -> new Decoder.Metaspace(metaspaceReplacement(n), prependScheme(n));
            case "Strip" -> new Decoder.Strip(text(n, "content"), n.path("start").asInt(0), n.path("stop").asInt(0));
            case "Replace" -> {
                JsonNode p = n.get("pattern");
                if (isNull(p) || !p.hasNonNull("String"))
                    throw error("decoder Replace supports only a {\"String\": ...} pattern");
                yield new Decoder.Replace(p.get("String").asText(), text(n, "content"));
            }
            case "Sequence" -> {
                List<Decoder> steps = new ArrayList<>();
                for (JsonNode c : array(n, "decoders")) steps.add(decoder(c));
                yield new Decoder.Sequence(steps);
            }
            default -> throw unsupported("decoder", type);
        };
    }

    /** A Metaspace section's marker: one character, U+2581 unless named. */
    private String metaspaceReplacement(JsonNode n) throws TokenizerFormatException {
        String r = orDefault(optText(n, "replacement"), "\u2581");
        if (r.codePointCount(0, r.length()) != 1) throw error("Metaspace replacement must be one character, got '" + r + "'");
        return r;
    }

    /**
     * A Metaspace section's prepend_scheme ("always", "first", "never"); files written before the scheme existed say
     * {@code add_prefix_space} instead (true: always).
     */
    private PreTokenizer.PrependScheme prependScheme(JsonNode n) throws TokenizerFormatException {
        String scheme = optText(n, "prepend_scheme");
        if (scheme == null) return bool(n, "add_prefix_space", true) ? PreTokenizer.PrependScheme.ALWAYS : PreTokenizer.PrependScheme.NEVER;
        return switch (scheme) {
            case "always" -> PreTokenizer.PrependScheme.ALWAYS;
            case "first" -> PreTokenizer.PrependScheme.FIRST;
            case "never" -> PreTokenizer.PrependScheme.NEVER;
            default -> throw error("Metaspace prepend_scheme must be always, first or never, got '" + scheme + "'");
        };
    }

    /** The added_tokens entries in file order, with their flags (ids are assigned by the caller). */
    List<AddedToken> addedTokens(JsonNode n) throws TokenizerFormatException {
        List<AddedToken> out = new ArrayList<>();
        if (isNull(n)) return out;
        if (!n.isArray()) throw error("\"added_tokens\" is not an array");
        for (JsonNode t : n) {
            boolean special = bool(t, "special", false);
            out.add(new AddedToken(t.path("id").asInt(-1), text(t, "content"), bool(t, "single_word", false),
                    bool(t, "lstrip", false), bool(t, "rstrip", false), bool(t, "normalized", !special), special));
        }
        return out;
    }

    private PostProcessor template(JsonNode n) throws TokenizerFormatException {
        Map<String, int[]> specials = new HashMap<>();
        JsonNode st = n.get("special_tokens");
        if (!isNull(st)) {
            for (Map.Entry<String, JsonNode> e : st.properties()) {
                JsonNode ids = e.getValue().get("ids");
                if (isNull(ids) || !ids.isArray()) throw error("TemplateProcessing special token '" + e.getKey() + "' has no ids");
                int[] v = new int[ids.size()];
                for (int i = 0; i < v.length; i++) v[i] = ids.get(i).asInt();
                specials.put(e.getKey(), v);
            }
        }
        List<PostProcessor.Template.Piece> single = templatePieces(n, "single", specials);
        // without a pair template (the library's loader requires one), its builder's default: $A:0 $B:1
        List<PostProcessor.Template.Piece> pair = isNull(n.get("pair"))
                ? List.of(new PostProcessor.Template.Piece(null, false, 0), new PostProcessor.Template.Piece(null, true, 1))
                : templatePieces(n, "pair", specials);
        return new PostProcessor.Template(single, pair);
    }

    private List<PostProcessor.Template.Piece> templatePieces(JsonNode n, String field, Map<String, int[]> specials)
            throws TokenizerFormatException {
        List<PostProcessor.Template.Piece> pieces = new ArrayList<>();
        for (JsonNode piece : array(n, field)) {
            if (piece.has("Sequence")) {
                String id = piece.get("Sequence").path("id").asText();
                if (!id.equals("A") && !(id.equals("B") && field.equals("pair")))
                    throw error("TemplateProcessing " + field + " template has sequence '" + id + "'");
                pieces.add(new PostProcessor.Template.Piece(null, id.equals("B"), piece.get("Sequence").path("type_id").asInt(0)));
            } else if (piece.has("SpecialToken")) {
                String id = piece.get("SpecialToken").path("id").asText();
                int[] ids = specials.get(id);
                if (ids == null) throw error("TemplateProcessing uses special token '" + id + "' missing from special_tokens");
                pieces.add(new PostProcessor.Template.Piece(ids, false, piece.get("SpecialToken").path("type_id").asInt(0)));
            } else {
                throw error("TemplateProcessing piece " + piece + " is neither Sequence nor SpecialToken");
            }
        }
        return pieces;
    }

    private int tokenPairId(JsonNode pair, String field) throws TokenizerFormatException {
        if (isNull(pair) || !pair.isArray() || pair.size() != 2) throw error("post_processor \"" + field + "\" is not [token, id]");
        return pair.get(1).asInt();
    }

    private Map<String, Integer> vocab(JsonNode n) throws TokenizerFormatException {
        if (isNull(n) || !n.isObject()) throw error("model \"vocab\" is missing or not an object");
        Map<String, Integer> vocab = new LinkedHashMap<>(n.size() * 2);
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (!e.getValue().canConvertToInt()) throw error("vocab entry '" + e.getKey() + "' has no integer id");
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        return vocab;
    }

    private List<String[]> merges(JsonNode n) throws TokenizerFormatException {
        List<String[]> out = new ArrayList<>();
        if (isNull(n)) return out;
        if (!n.isArray()) throw error("model \"merges\" is not an array");
        int line = 0;
        for (JsonNode m : n) {
            line++;
            if (m.isTextual()) {
                String s = m.asText();
                int sp = s.indexOf(' ');
                if (sp < 0 || s.indexOf(' ', sp + 1) >= 0) throw error("merge " + line + " '" + s + "' is not two tokens separated by one space");
                out.add(new String[] {s.substring(0, sp), s.substring(sp + 1)});
            } else if (m.isArray() && m.size() == 2) {
                out.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw error("merge " + line + " is neither \"a b\" nor [a, b]: " + m);
            }
        }
        return out;
    }

    private Pattern pattern(JsonNode p, String where) throws TokenizerFormatException {
        if (isNull(p)) throw error(where + " has no pattern");
        if (p.hasNonNull("String")) return Pattern.compile(Pattern.quote(p.get("String").asText()));
        if (p.hasNonNull("Regex")) {
            try {
                return Regexes.compile(p.get("Regex").asText());
            } catch (PatternSyntaxException e) {
                throw error(where + " regex cannot be compiled: " + e.getDescription());
            }
        }
        throw error(where + " pattern is neither String nor Regex: " + p);
    }

    private static PreTokenizer.Behavior behavior(String name) {
        return switch (name) {
            case "Removed" -> PreTokenizer.Behavior.REMOVED;
            case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
            default -> PreTokenizer.Behavior.ISOLATED;
        };
    }

    private TokenizerFormatException unsupported(String component, String type) {
        return error(component + " type '" + type + "' is not supported");
    }

    private String type(JsonNode n, String component) throws TokenizerFormatException {
        if (!n.hasNonNull("type")) throw error(component + " has no \"type\"");
        return n.get("type").asText();
    }

    private Iterable<JsonNode> array(JsonNode n, String field) throws TokenizerFormatException {
        JsonNode a = n.get(field);
        if (isNull(a) || !a.isArray()) throw error("\"" + field + "\" is missing or not an array in " + n.path("type").asText());
        return a;
    }

    private String text(JsonNode n, String field) throws TokenizerFormatException {
        if (!n.hasNonNull(field)) throw error("\"" + field + "\" is missing in " + n.path("type").asText("entry"));
        return n.get(field).asText();
    }

    private static String optText(JsonNode n, String field) { return n.hasNonNull(field) ? n.get(field).asText() : null; }

    private static boolean bool(JsonNode n, String field, boolean dflt) {
        return n.hasNonNull(field) ? n.get(field).asBoolean() : dflt;
    }

    private static String orDefault(String v, String d) { return v == null ? d : v; }

    private static boolean isNull(JsonNode n) { return n == null || n.isNull() || n.isMissingNode(); }
}
