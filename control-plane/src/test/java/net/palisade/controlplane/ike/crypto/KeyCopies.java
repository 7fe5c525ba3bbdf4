package net.palisade.controlplane.ike.crypto;

import java.util.ArrayList;
import java.util.List;

/** The arrays an {@link SkCipher} keeps its key copies in, read by reflection: no accessor exists outside tests. */
public final class KeyCopies {
    private KeyCopies() {}

    /** SK_e's key, its salt (AEAD; else empty) and SK_a (empty for AEAD), as the cipher holds them. */
    public static List<byte[]> of(SkCipher cipher) throws ReflectiveOperationException {
        List<byte[]> out = new ArrayList<>();
        for (String name : List.of("key", "salt", "integrityKey")) {
            java.lang.reflect.Field f = SkCipher.class.getDeclaredField(name);
            f.setAccessible(true);
            out.add((byte[]) f.get(cipher));
        }
        return out;
    }
}
