package org.unmask.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/** Documents of a plain-text stream: blocks of non-blank lines separated by one or more blank lines. */
final class TextDocuments implements Iterator<String> {

    private final BufferedReader reader;
    private final String source;
    private String next;
    private boolean firstLine = true;

    TextDocuments(BufferedReader reader, String source) {
        this.reader = reader;
        this.source = source;
    }

    @Override
    public boolean hasNext() {
        if (next == null) next = readBlock();
        return next != null;
    }

    @Override
    public String next() {
        if (!hasNext()) throw new NoSuchElementException();
        String doc = next;
        next = null;
        return doc;
    }

    private String readBlock() {
        StringBuilder block = new StringBuilder();
        try {
            String line;
            while ((line = reader.readLine()) != null) {
                if (firstLine) {
                    firstLine = false;
                    if (line.startsWith("\uFEFF")) line = line.substring(1); // a UTF-8 byte-order mark is not text
                }
                if (line.isBlank()) {
                    if (!block.isEmpty()) return block.toString();
                    continue;
                }
                if (!block.isEmpty()) block.append('\n');
                block.append(line);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(source + ": " + e.getMessage(), e);
        }
        return block.isEmpty() ? null : block.toString();
    }
}
