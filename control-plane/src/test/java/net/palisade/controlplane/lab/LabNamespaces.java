package net.palisade.controlplane.lab;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The lab of one namespace prefix for a whole test class: {@link Lab#up} before its first test (before its own
 * {@code @BeforeAll} methods), {@link Lab#down} after its last. Register it on a static field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LabNamespaces LAB = new LabNamespaces("iknd");
 * }</pre>
 *
 * @param prefix the namespace prefix the test class owns
 * @param options more arguments of {@code netns.sh up} (e.g. {@code nat})
 */
public record LabNamespaces(String prefix, List<String> options) implements BeforeAllCallback, AfterAllCallback {
    /**
     * @param prefix the namespace prefix the test class owns
     * @param options more arguments of {@code netns.sh up}
     */
    public LabNamespaces(String prefix, String... options) {
        this(prefix, List.of(options));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Lab.up(prefix, options.toArray(String[]::new));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Lab.down(prefix);
    }
}
