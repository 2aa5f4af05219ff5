package org.unmask.cli;

import org.unmask.compute.Parallel;
import org.unmask.diffusion.InvalidSettingException;
import org.unmask.diffusion.Setting;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import static picocli.CommandLine.ScopeType.INHERIT;

import java.io.PrintWriter;

/** The {@code unmask} command line. */
@Command(name = "unmask", mixinStandardHelpOptions = true, version = "unmask 0.1.0",
        description = "Masked diffusion language models (LLaDA, Dream) in pure Java.",
        subcommands = {
                CommandLine.HelpCommand.class,
                DemoCommand.class,
                BenchCommand.class,
                InitCommand.class,
                InfoCommand.class,
                ForwardCommands.Logits.class,
                ForwardCommands.Grad.class,
                QuantizeCommand.class,
                TokenizerCommand.class,
                TokenizeCommand.class,
                GenerateCommand.class,
                InfillCommand.class,
                ScoreCommand.class,
                EvalCommand.class,
                ServeCommand.class,
                ChatCommand.class,
                TrainCommand.class,
                SftCommand.class,
                ExportCommand.class,
                ImportOnnxCommand.class,
                StudyCommand.class,
                PullCommand.class,
        })
public final class Main implements Runnable {

    @Option(names = "--threads", scope = INHERIT,
            description = "Worker threads for the compute kernels (default: all cores).")
    void setThreads(int n) { Parallel.setThreads(n); }

    @Option(names = "--quantize", scope = INHERIT, converter = Converters.BlockType.class, paramLabel = "TYPE",
            description = "Quantize the model's matrices to this block format while loading: q8_0, q4_0, q4_1, q5_0, q5_1,"
                    + " iq4_nl, q2_k, q3_k, q4_k, q5_k, q6_k or iq4_xs (a model too large for RAM in bf16, e.g. LLaDA 2.x mini at q4_0 or q4_k).")
    void setQuantize(org.unmask.model.tensor.DType t) { ModelDirs.quantizeOnLoad(t); }

    @Override public void run() { new CommandLine(this).usage(System.out); }

    /** Builds the command line with the error handling every command shares. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, line, parse) -> {
            PrintWriter err = line.getErr();
            if (System.getenv("UNMASK_DEBUG") != null) ex.printStackTrace(err);
            // sampling settings are validated once, with neutral names; here they are spelled as flags
            String msg = ex instanceof InvalidSettingException bad ? bad.message(Setting::flag)
                    : ex.getMessage() == null ? ex.toString() : ex.getMessage();
            err.println("error: " + msg);
            err.flush();
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
