package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A shared library loaded for the JVM's life and linked function by function, for the classes that call a library
 * other than libc through FFM (the dataplane's {@code LibCrypto}, the IKE engine's {@code OpenSslX25519}).
 *
 * <p>Loading and linking never throw: a library that cannot be loaded, or a function it lacks, is remembered, the
 * handle returned is null, and {@link #failure()} says which; the caller then reports itself unavailable and falls
 * back. Handles linked {@code critical} skip the thread-state transition and take heap segments without a copy: for
 * calls that never block and never call back into Java.
 */
@SuppressWarnings("restricted") // links native code; run with --enable-native-access=ALL-UNNAMED
public final class NativeLibrary {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);

    private final String name;
    private final SymbolLookup lookup;
    private final String loadFailure;
    private final List<String> missing = new ArrayList<>();

    /** Loads {@code name} (e.g. {@code "libcrypto.so.3"}) with {@link Arena#global()}: it is never unloaded. */
    public NativeLibrary(String name) {
        this.name = name;
        SymbolLookup found = null;
        String failure = null;
        try {
            found = SymbolLookup.libraryLookup(name, Arena.global());
        } catch (RuntimeException | LinkageError e) {
            failure = "cannot load " + name + ": " + e;
        }
        this.lookup = found;
        this.loadFailure = failure;
    }

    /** The library's file name as given. */
    public String name() {
        return name;
    }

    /** A downcall handle for {@code function}, or null when the library or the function is missing. */
    public synchronized MethodHandle link(String function, FunctionDescriptor descriptor, boolean critical) {
        if (lookup == null) {
            return null;
        }
        try {
            return lookup.find(function)
                    .map(address -> critical ? LINKER.downcallHandle(address, descriptor, CRITICAL)
                            : LINKER.downcallHandle(address, descriptor))
                    .orElseGet(() -> {
                        missing.add(function);
                        return null;
                    });
        } catch (RuntimeException e) { // e.g. IllegalCallerException without native access
            missing.add(function + " (" + e + ")");
            return null;
        }
    }

    /**
     * The address of exported symbol {@code symbol}, or empty when the library or the symbol is missing. Unlike
     * {@link #link}, a missing symbol is not remembered as a failure: callers that compare addresses (the IPsec-MB
     * dispatch check) ask for symbols that may legitimately be absent.
     */
    public Optional<MemorySegment> address(String symbol) {
        return lookup == null ? Optional.empty() : lookup.find(symbol);
    }

    /** Why a handle linked so far is null ("cannot load …", "… lacks f, g"), or null when all were linked. */
    public synchronized String failure() {
        if (loadFailure != null) {
            return loadFailure;
        }
        return missing.isEmpty() ? null : name + " lacks " + String.join(", ", missing);
    }
}
