package org.unmask.cli;

import picocli.CommandLine.Command;

/** Temporary {@code bench} parent so {@code unmask bench matmul} runs on the kernels branch (the lead owns the real one). */
@Command(name = "bench", description = "Benchmarks.", subcommands = BenchMatmulCommand.class)
final class BenchCommandForKernelTesting {}
