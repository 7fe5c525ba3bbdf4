package net.palisade.controlplane.lab;

import java.util.List;
import net.palisade.dataplane.testkit.LabPrefix;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The lab of one test class: {@link Lab#up} before its first test (before its own {@code @BeforeAll} methods),
 * {@link Lab#down} after its last. The namespace prefix is the class's own ({@link LabPrefix#claim}): no test
 * writes one, so no two share one. Register it on a static field, before anything that uses the prefix:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LabNamespaces LAB = LabNamespaces.of(IkeNodeStrongSwanTest.class);
 * private static final String PREFIX = LAB.prefix();
 * }</pre>
 */
public final class LabNamespaces implements BeforeAllCallback, AfterAllCallback {
    private final String prefix;
    private final List<String> options;

    private LabNamespaces(String prefix, List<String> options) {
        this.prefix = prefix;
        this.options = List.copyOf(options);
    }

    /**
     * @param owner the test class
     * @param options more arguments of {@code netns.sh up} (e.g. {@code nat})
     * @return the lab of {@code owner}, with the prefix it claimed
     */
    public static LabNamespaces of(Class<?> owner, String... options) {
        return new LabNamespaces(LabPrefix.claim(owner), List.of(options));
    }

    /** @return the namespace prefix: namespaces are {@code PREFIX-gwa}, {@code PREFIX-ha} and so on */
    public String prefix() {
        return prefix;
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
