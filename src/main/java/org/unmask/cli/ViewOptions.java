package org.unmask.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** How {@code generate} and {@code infill} show and save a run (a picocli mixin): printed ids, trace, GIF, animation. */
final class ViewOptions {
    @Option(names = "--print-ids", description = "Print the whole canvas (prompt ids then generated ids) as the last line.")
    boolean printIds;

    @Option(names = "--trace", paramLabel = "FILE.json", description = "Write a JSON trace of every step.")
    Path trace;

    @Option(names = "--gif", paramLabel = "FILE.gif", description = "Write an animated GIF of the unmasking (first prompt).")
    Path gif;

    @Option(names = "--gif-delay-ms", defaultValue = "150", description = "Milliseconds per GIF frame (default: ${DEFAULT-VALUE}).")
    int gifDelayMs;

    @Option(names = "--animate", description = "Show the unmasking live in the terminal (plain step lines when not a terminal).")
    boolean animate;
}
