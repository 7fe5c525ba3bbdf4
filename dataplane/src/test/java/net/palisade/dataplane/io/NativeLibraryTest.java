package net.palisade.dataplane.io;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import org.junit.jupiter.api.Test;

/** What the libcrypto users fall back on: a missing library or function is named, never thrown. */
class NativeLibraryTest {

    @Test
    void aLibraryThatIsNotThereLinksNothingAndSaysWhy() {
        var lib = new NativeLibrary("libpalisade-does-not-exist.so.9");
        assertThat(lib.link("anything", FunctionDescriptor.ofVoid(), false)).isNull();
        assertThat(lib.failure()).startsWith("cannot load libpalisade-does-not-exist.so.9");
    }

    @Test
    void aMissingFunctionIsNamedAndTheOthersStillWork() throws Throwable {
        var lib = new NativeLibrary("libcrypto.so.3");
        MethodHandle version = lib.link("OpenSSL_version_num", FunctionDescriptor.of(JAVA_LONG), false);
        assertThat(lib.failure()).isNull();
        assertThat(version).isNotNull();
        assertThat((long) version.invokeExact() >>> 28).as("OpenSSL major version").isEqualTo(3L);

        assertThat(lib.link("EVP_no_such_function", FunctionDescriptor.ofVoid(), true)).isNull();
        assertThat(lib.failure()).isEqualTo("libcrypto.so.3 lacks EVP_no_such_function");
    }
}
