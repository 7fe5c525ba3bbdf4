package net.palisade.ops;

import java.util.concurrent.Callable;
import net.palisade.model.Spi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code palisade spi VALUE}: one SPI in decimal and hex, checked against the rules for manual tunnels. */
@Command(name = "spi", description = {"Show an SPI (decimal or 0x hex) in both notations.",
        "SPIs 0-255 are reserved (RFC 4303) and refused."})
final class SpiCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "VALUE")
    String value;

    @Override
    public Integer call() {
        try {
            spec.commandLine().getOut().println(Spi.parse(value).describe());
            return 0;
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println("spi: " + e.getMessage());
            return 1;
        }
    }
}
