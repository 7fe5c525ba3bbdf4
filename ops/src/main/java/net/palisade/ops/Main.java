package net.palisade.ops;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code palisade} command: runs a gateway node, and the tools around its configuration and keys. */
@Command(
        name = "palisade",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Palisade site-to-site IPsec gateway.",
        subcommands = {RunCommand.class, ConfigCommand.class, KeyCommand.class, SpiCommand.class, ConfigureCommand.class,
            StatusCommand.class, SasCommand.class, EventsCommand.class, ReplayCommand.class, HaCommand.class,
            CaptureCommand.class, IkeLogCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:invalid input or a request the node refused (the errors are printed)", "2:usage error, the node could not start, or the node could not be reached (no answer, token refused)"})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line with Palisade's exit codes; tests call this instead of {@link #main}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> 2);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"palisade " + (v == null ? "development build" : v)};
        }
    }
}
