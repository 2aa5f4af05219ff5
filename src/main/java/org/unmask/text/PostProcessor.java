package org.unmask.text;

import java.util.List;

/** A tokenizer.json post-processor: adds the special tokens around one encoded sequence. */
sealed interface PostProcessor {

    int[] process(int[] ids);

    /** A single-sequence template: each element is either the sequence itself or the ids of a special token. */
    record Template(List<int[]> pieces) implements PostProcessor {
        /** Marks the place of the sequence in {@link #pieces}. */
        static final int[] SEQUENCE = new int[0];

        public int[] process(int[] ids) {
            IntList out = new IntList(ids.length + 4);
            for (int[] p : pieces) out.addAll(p == SEQUENCE ? ids : p);
            return out.toArray();
        }
    }

    /** [CLS] sequence [SEP] style (BertProcessing, RobertaProcessing). */
    record Wrap(int first, int last) implements PostProcessor {
        public int[] process(int[] ids) {
            int[] out = new int[ids.length + 2];
            out[0] = first;
            System.arraycopy(ids, 0, out, 1, ids.length);
            out[ids.length + 1] = last;
            return out;
        }
    }

    /** Leaves ids alone (the ByteLevel post-processor only adjusts offsets). */
    record Identity() implements PostProcessor {
        public int[] process(int[] ids) { return ids; }
    }

    /** Applies processors in order. */
    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        public int[] process(int[] ids) {
            for (PostProcessor p : steps) ids = p.process(ids);
            return ids;
        }
    }
}
