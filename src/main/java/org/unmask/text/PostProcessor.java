package org.unmask.text;

import java.util.List;

/**
 * A tokenizer.json post-processor: adds the special tokens around one encoded sequence or a pair, and gives every id
 * its token type. A sequence's own type is 0 for the first and 1 for the second; as in the Hugging Face library, a
 * template or RoBERTa re-types only the parts truncation kept, while the windows it cut off keep their own type.
 */
sealed interface PostProcessor {

    /** Ids with their token type ids. */
    record Typed(int[] ids, int[] typeIds) {}

    /** One sequence of what is encoded: its ids, and whether they are an overflowing window of a truncated sequence. */
    record Part(int[] ids, boolean overflow) {}

    /** Processes sequence {@code a} and, unless null, its pair {@code b}. */
    Typed process(Part a, Part b, boolean addSpecialTokens);

    /** How many special tokens {@link #process} adds to a single sequence or a pair. */
    default int added(boolean pair) {
        Part empty = new Part(new int[0], false);
        return process(empty, pair ? empty : null, true).ids().length;
    }

    /** The ids of one whole sequence with the special tokens added. */
    default int[] process(int[] ids) { return process(new Part(ids, false), null, true).ids(); }

    /** {@code a} then {@code b}, each of its own type: the library's default, and BERT's without special tokens. */
    static Typed plain(Part a, Part b) {
        Builder out = new Builder(a, b);
        out.append(a.ids(), 0);
        if (b != null) out.append(b.ids(), 1);
        return out.build();
    }

    /** Ids and types being joined. */
    final class Builder {
        private final IntList ids, types;

        Builder(Part a, Part b) {
            int capacity = a.ids().length + (b == null ? 0 : b.ids().length) + 4;
            ids = new IntList(capacity);
            types = new IntList(capacity);
        }

        void append(int[] part, int type) {
            ids.addAll(part);
            for (int i = 0; i < part.length; i++) types.add(type);
        }

        void add(int id, int type) {
            ids.add(id);
            types.add(type);
        }

        Typed build() { return new Typed(ids.toArray(), types.toArray()); }
    }

    /**
     * TemplateProcessing: the single and the pair templates, each a list of pieces that are either a sequence
     * ({@code A} or {@code B}) or the ids of a special token, each with its type id.
     */
    record Template(List<Piece> single, List<Piece> pair) implements PostProcessor {

        /** One piece of a template: {@code specialIds} null for a sequence, then {@code second} tells which. */
        record Piece(int[] specialIds, boolean second, int typeId) {}

        public Typed process(Part a, Part b, boolean addSpecialTokens) {
            Builder out = new Builder(a, b);
            for (Piece p : b == null ? single : pair) {
                if (p.specialIds() != null) {
                    if (addSpecialTokens) out.append(p.specialIds(), p.typeId());
                } else {
                    Part s = p.second() ? b : a;
                    out.append(s.ids(), s.overflow() ? (p.second() ? 1 : 0) : p.typeId());
                }
            }
            return out.build();
        }
    }

    /**
     * BertProcessing ({@code [CLS] A [SEP] B [SEP]}, the pair's part of type 1) and RobertaProcessing
     * ({@code <s> A </s></s> B </s>}, of type 0, except the second's overflowing windows without special tokens).
     */
    record Wrap(int first, int last, boolean roberta) implements PostProcessor {
        public Typed process(Part a, Part b, boolean addSpecialTokens) {
            Builder out = new Builder(a, b);
            if (addSpecialTokens) out.add(first, 0);
            out.append(a.ids(), 0);
            if (addSpecialTokens) out.add(last, 0);
            if (b != null) {
                int type = roberta && (addSpecialTokens || !b.overflow()) ? 0 : 1, sepType = roberta ? 0 : 1;
                if (addSpecialTokens && roberta) out.add(last, 0);
                out.append(b.ids(), type);
                if (addSpecialTokens) out.add(last, sepType);
            }
            return out.build();
        }
    }

    /** Leaves ids alone (the ByteLevel post-processor only adjusts offsets). */
    record Identity() implements PostProcessor {
        public Typed process(Part a, Part b, boolean addSpecialTokens) { return plain(a, b); }
    }

    /**
     * A Sequence of processors: at most one of them adds tokens (the reader refuses more, which the library cannot
     * apply to a pair either); the others only adjust offsets.
     */
    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        public Typed process(Part a, Part b, boolean addSpecialTokens) {
            for (PostProcessor p : steps)
                if (!(p instanceof Identity)) return p.process(a, b, addSpecialTokens);
            return plain(a, b);
        }
    }
}
