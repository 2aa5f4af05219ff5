package org.unmask.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Documents of a plain-text stream: blocks of non-blank lines separated by one or more blank lines. */
final class TextDocuments extends LookaheadDocuments {

    private final BufferedReader reader;
    private final String source;
    private boolean firstLine = true;

    TextDocuments(BufferedReader reader, String source) {
        this.reader = reader;
        this.source = source;
    }

    @Override
    String readNext() {
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
