package org.unmask.data;

import java.util.Iterator;
import java.util.NoSuchElementException;

/** An iterator over documents read one ahead from a stream; subclasses say how to read the next one. */
abstract class LookaheadDocuments implements Iterator<String> {
    private String next;

    /** The next document, or null at the end of the input. */
    abstract String readNext();

    @Override
    public final boolean hasNext() {
        if (next == null) next = readNext();
        return next != null;
    }

    @Override
    public final String next() {
        if (!hasNext()) throw new NoSuchElementException();
        String doc = next;
        next = null;
        return doc;
    }
}
