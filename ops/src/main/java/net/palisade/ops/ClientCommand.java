package net.palisade.ops;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.CliFailure;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to a running node over its HTTP API. A {@link CliFailure} anywhere ends it with its lines on
 * standard error ({@code palisade: ...}) and its exit status.
 */
abstract class ClientCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin ClientOptions client = new ClientOptions();

    private ApiClient api;

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            return run(out, err);
        } catch (CliFailure f) {
            out.flush();
            err.println("palisade: " + f.getMessage());
            f.details().forEach(err::println);
            return f.exitCode();
        } finally {
            out.flush();
            err.flush();
            if (api != null) {
                api.close();
                api = null;
            }
        }
    }

    /** The command itself; returns the exit status. */
    abstract int run(PrintWriter out, PrintWriter err);

    /** The API client, opened on first use (reads the token file). */
    ApiClient api() {
        if (api == null) {
            api = client.open();
        }
        return api;
    }
}
