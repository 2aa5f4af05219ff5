package org.unmask.serve;

/** Thrown when the generation queue has no room; the server answers 503. */
public final class QueueFullException extends Exception {
    public QueueFullException(int capacity) {
        super("the server is busy: " + capacity + " requests are already waiting; retry later");
    }
}
