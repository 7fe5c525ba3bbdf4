package net.palisade.ops;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import net.palisade.model.config.ConfigParser;
import net.palisade.model.config.Support;
import net.palisade.model.config.ConfigPrinter;
import net.palisade.model.config.ConfigResult;
import net.palisade.model.config.Diagnostic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code palisade config check|print FILE}: the config language without a running node. */
@Command(name = "config", description = "Check or print a configuration file.",
        subcommands = {ConfigCommand.Check.class, ConfigCommand.Print.class})
final class ConfigCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Reads and parses FILE ({@code -} for standard input), printing every diagnostic to stderr. */
    static ConfigResult load(Path file, PrintWriter err) throws IOException {
        String text = file.toString().equals("-")
                ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(file, StandardCharsets.UTF_8);
        ConfigResult result = ConfigParser.parse(text, file.toString(), Support.THIS_BUILD);
        for (Diagnostic d : result.diagnostics()) {
            err.println(d);
        }
        err.flush();
        return result;
    }

    @Command(name = "check", description = {"Validate FILE. Prints each error and warning as FILE:LINE:COL: FIELD: message.",
            "Exit status 0 when the file is valid (warnings allowed), 1 when it has errors."})
    static final class Check implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "configuration file, or - for standard input")
        Path file;

        @Override
        public Integer call() throws IOException {
            ConfigResult result = load(file, spec.commandLine().getErr());
            if (!result.ok()) {
                spec.commandLine().getErr().printf("%s: %d error(s)%n", file, result.errors().size());
                return 1;
            }
            int n = result.config().orElseThrow().tunnels().size();
            spec.commandLine().getOut().printf("%s: OK, %d tunnel(s)%s%n", file, n,
                    result.warnings().isEmpty() ? "" : ", " + result.warnings().size() + " warning(s)");
            return 0;
        }
    }

    @Command(name = "print", description = {"Print FILE in canonical form (print of the output is the output itself).",
            "Secrets are shown as [redacted] unless --secrets is given."})
    static final class Print implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "FILE", description = "configuration file, or - for standard input")
        Path file;

        @Option(names = "--secrets", description = "print PSKs and keys in full (to write a config file)")
        boolean secrets;

        @Override
        public Integer call() throws IOException {
            ConfigResult result = load(file, spec.commandLine().getErr());
            if (!result.ok()) {
                return 1;
            }
            var config = result.config().orElseThrow();
            spec.commandLine().getOut().print(secrets ? ConfigPrinter.print(config) : ConfigPrinter.printRedacted(config));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
