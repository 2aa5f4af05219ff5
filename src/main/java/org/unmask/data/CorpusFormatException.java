package org.unmask.data;

/** Malformed input data, with the file and line where it was found in the message ("FILE:LINE: problem"). */
public final class CorpusFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** A problem at a line of a named input. */
    public CorpusFormatException(String source, long line, String problem) {
        super(source + ":" + line + ": " + problem);
    }
}
