package org.unmask.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.unmask.files.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * A tokenizer read from a Hugging Face tokenizer.json, giving the ids of the reference library:
 * added tokens, normalizer, pre-tokenizer, BPE or WordPiece model, post-processor and decoder.
 * Thread-safe. BPE dropout is not applied (encoding is deterministic); truncation and padding apply only in
 * {@link #encodeBatch}.
 */
public final class HfTokenizer implements Tokenizer {

    /** The file name of a tokenizer in a model directory. */
    public static final String FILE = "tokenizer.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    // The file's text rather than its tree: a parsed 128k-token vocabulary would hold tens of MB for save() alone.
    private final String jsonText;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final TokenModel model;
    private final PostProcessor postProcessor;
    private final TruncationPadding truncationPadding;
    private final Decoder decoder;
    private final AddedTokenMatcher rawMatcher;
    private final AddedTokenMatcher normalizedMatcher;
    private final Map<String, Integer> addedIds = new HashMap<>();
    private final Map<Integer, String> addedById = new HashMap<>();
    private final Set<Integer> specialIds = new HashSet<>();
    private final String[] modelTokens;
    private final int vocabSize;

    private HfTokenizer(JsonNode json, String jsonText, String source) throws TokenizerFormatException {
        if (json == null || !json.isObject()) throw new TokenizerFormatException(source, "not a tokenizer.json object");
        this.jsonText = jsonText;
        TokenizerJsonReader r = new TokenizerJsonReader(source);
        normalizer = r.normalizer(json.get("normalizer"));
        preTokenizer = r.preTokenizer(json.get("pre_tokenizer"));
        model = r.model(json.get("model"));
        postProcessor = r.postProcessor(json.get("post_processor"));
        decoder = r.decoder(json.get("decoder"));
        truncationPadding = TruncationPadding.read(json, source);

        int maxId = -1;
        for (int id : model.vocab().values()) {
            if (id < 0) throw r.error("vocabulary has a negative id " + id);
            maxId = Math.max(maxId, id);
        }
        if (maxId >= (1 << 24) && maxId > 4L * model.vocab().size())
            throw r.error("vocabulary ids are too sparse (largest id " + maxId + " for " + model.vocab().size() + " tokens)");
        modelTokens = new String[maxId + 1];
        for (Map.Entry<String, Integer> e : model.vocab().entrySet()) modelTokens[e.getValue()] = e.getKey();

        // Ids follow the reference library: an added token already known keeps its id, a new one goes after the
        // model vocabulary (or after the largest added id when that is beyond it).
        int modelSize = model.vocab().size();
        List<AddedToken> raw = new ArrayList<>(), normalized = new ArrayList<>();
        List<String> rawPatterns = new ArrayList<>(), normalizedPatterns = new ArrayList<>();
        for (AddedToken t : r.addedTokens(json.get("added_tokens"))) {
            if (addedIds.containsKey(t.content())) continue;
            Integer id = model.vocab().get(t.content());
            if (id == null) {
                int maxAdded = addedById.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
                id = maxAdded < 0 ? modelSize : (maxAdded >= modelSize || modelSize == 0 ? maxAdded + 1 : modelSize);
            }
            AddedToken withId = new AddedToken(id, t.content(), t.singleWord(), t.lstrip(), t.rstrip(),
                    t.normalized(), t.special());
            addedIds.put(t.content(), id);
            addedById.put(id, t.content());
            if (t.special()) specialIds.add(id);
            if (t.normalized()) {
                // Matched in normalized text, so against its own normalized form.
                normalized.add(withId);
                normalizedPatterns.add(normalizer == null ? t.content() : normalizer.normalize(t.content()));
            } else {
                raw.add(withId);
                rawPatterns.add(t.content());
            }
            maxId = Math.max(maxId, id);
        }
        rawMatcher = new AddedTokenMatcher(raw, rawPatterns);
        normalizedMatcher = new AddedTokenMatcher(normalized, normalizedPatterns);
        vocabSize = maxId + 1;
    }

    /** Reads a tokenizer.json file. */
    public static HfTokenizer load(Path tokenizerJson) throws IOException {
        String source = tokenizerJson.toString();
        String text;
        JsonNode tree;
        try {
            text = Files.readString(tokenizerJson, StandardCharsets.UTF_8);
            tree = JSON.readTree(text);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(source, null, "tokenizer file not found");
        } catch (java.nio.charset.MalformedInputException e) {
            throw new TokenizerFormatException(source, "not valid UTF-8");
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source, "invalid JSON: " + e.getOriginalMessage());
        }
        return new HfTokenizer(tree, text, source);
    }

    /** Builds a tokenizer from an in-memory tokenizer.json tree; {@code source} names it in errors. */
    public static HfTokenizer fromJson(JsonNode tree, String source) throws TokenizerFormatException {
        try {
            return new HfTokenizer(tree, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tree), source);
        } catch (JsonProcessingException e) {
            throw new TokenizerFormatException(source, "cannot serialise: " + e.getOriginalMessage());
        }
    }

    /** Writes the tokenizer.json atomically and durably ({@link AtomicFile}). */
    public void save(Path file) throws IOException {
        AtomicFile.writeString(file, jsonText);
    }

    /** The tokenizer.json tree this tokenizer was built from (a fresh copy). */
    public JsonNode json() {
        try {
            return JSON.readTree(jsonText);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("tokenizer.json text no longer parses", e);
        }
    }

    @Override public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList(text.length() / 3 + 4);
        for (Unit u : units(text)) u.tokenize(model, ids);
        int[] out = ids.toArray();
        return addSpecialTokens && postProcessor != null ? postProcessor.process(out) : out;
    }

    /** A piece of pre-tokenized text: an added token found in it ({@code addedId} >= 0), or a word for the model. */
    private record Unit(int addedId, String word) {
        void tokenize(TokenModel model, IntList out) {
            if (addedId >= 0) out.add(addedId);
            else model.tokenize(word, out);
        }
    }

    /** The text split into added tokens and pre-tokenized words, in order. */
    private List<Unit> units(String text) {
        List<AddedTokenMatcher.Piece> rawPieces = new ArrayList<>();
        rawMatcher.split(text, rawPieces);
        List<Unit> units = new ArrayList<>();
        List<AddedTokenMatcher.Piece> pieces = new ArrayList<>();
        List<String> words = new ArrayList<>();
        for (int r = 0; r < rawPieces.size(); r++) {
            AddedTokenMatcher.Piece raw = rawPieces.get(r);
            if (raw.id() >= 0) { units.add(new Unit(raw.id(), null)); continue; }
            String norm = normalizer == null ? raw.text() : normalizer.normalize(raw.text());
            pieces.clear();
            normalizedMatcher.split(norm, pieces);
            for (int k = 0; k < pieces.size(); k++) {
                AddedTokenMatcher.Piece p = pieces.get(k);
                if (p.id() >= 0) { units.add(new Unit(p.id(), null)); continue; }
                words.clear();
                if (preTokenizer == null) words.add(p.text());
                else preTokenizer.split(p.text(), r == 0 && k == 0, words);
                for (String w : words) units.add(new Unit(-1, w));
            }
        }
        return units;
    }

    /**
     * The ids of {@code text} without special tokens, tokenized only as far as truncation will look, as the library
     * (0.23 and later) does: words from the truncated side's far end, until one the model tokenized brings the count to
     * {@code max_length} (added tokens count but do not stop it). What truncation then cuts off overflows, so the
     * overflowing windows end where tokenizing stopped.
     */
    private int[] encodeForTruncation(String text, TruncationPadding.Truncation t) {
        List<Unit> units = units(text);
        boolean fromEnd = t.direction() == TruncationPadding.Direction.LEFT;
        List<int[]> kept = new ArrayList<>();
        int total = 0;
        IntList one = new IntList(8);
        for (int k = 0; k < units.size(); k++) {
            Unit u = units.get(fromEnd ? units.size() - 1 - k : k);
            one.clear();
            u.tokenize(model, one);
            kept.add(one.toArray());
            total += one.size();
            if (u.addedId() < 0 && total >= t.maxLength()) break;
        }
        if (fromEnd) java.util.Collections.reverse(kept);
        IntList ids = new IntList(total);
        for (int[] part : kept) ids.addAll(part);
        return ids.toArray();
    }

    /** The file's {@code truncation} and {@code padding} sections (each null when absent). */
    public TruncationPadding truncationPadding() { return truncationPadding; }

    /**
     * Encodes {@code texts} as the Hugging Face library's {@code encode_batch} does, honouring the file's truncation
     * and padding ({@link #encode} ignores them: a corpus is encoded whole). Throws IllegalArgumentException when the
     * sections cannot apply (a stride not below the length kept, OnlySecond truncation without pairs).
     */
    public List<TruncationPadding.Encoding> encodeBatch(List<String> texts, boolean addSpecialTokens) {
        return encodeBatch(texts, null, addSpecialTokens);
    }

    /**
     * Encodes pairs of sequences ({@code first.get(i)} with {@code second.get(i)}; {@code second} null for single
     * sequences) as the library's {@code encode_batch} does: truncation shares max_length between the two, the
     * post-processor's pair template joins them and gives the second its token type.
     */
    public List<TruncationPadding.Encoding> encodeBatch(List<String> first, List<String> second, boolean addSpecialTokens) {
        if (second != null && second.size() != first.size())
            throw new IllegalArgumentException(first.size() + " first sequences but " + second.size() + " second ones");
        TruncationPadding.Truncation t = truncationPadding.truncation();
        List<int[]> a = new ArrayList<>(first.size()), b = second == null ? null : new ArrayList<>(second.size());
        // the library tokenizes every sequence only as far as truncation looks, except the first under OnlySecond
        boolean early = t != null && !t.strategy().equals("OnlySecond");
        for (int i = 0; i < first.size(); i++) {
            a.add(early ? encodeForTruncation(first.get(i), t) : encode(first.get(i), false));
            if (b != null) b.add(t != null ? encodeForTruncation(second.get(i), t) : encode(second.get(i), false));
        }
        return truncationPadding.apply(a, b, postProcessor, addSpecialTokens);
    }

    @Override public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            if (skipSpecialTokens && specialIds.contains(id)) continue;
            String t = tokenOrNull(id);
            if (t != null) tokens.add(t); // unknown ids are dropped, as the reference library does
        }
        if (decoder == null) return String.join(" ", tokens);
        return String.join("", decoder.decode(tokens));
    }

    @Override public int vocabSize() { return vocabSize; }

    @Override public OptionalInt tokenId(String token) {
        Integer id = addedIds.get(token);
        if (id == null) id = model.vocab().get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override public String token(int id) {
        String t = tokenOrNull(id);
        if (t == null) throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (size " + vocabSize + ")");
        return t;
    }

    /** Whether {@code id} names a token of this vocabulary. */
    public boolean isKnownId(int id) { return tokenOrNull(id) != null; }

    /** Whether {@code id} is an added token marked special. */
    public boolean isSpecial(int id) { return specialIds.contains(id); }

    private String tokenOrNull(int id) {
        String added = addedById.get(id);
        if (added != null) return added;
        return id >= 0 && id < modelTokens.length ? modelTokens[id] : null;
    }
}
