package net.palisade.controlplane.ike.crypto;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.EnumMap;
import java.util.Map;

import net.palisade.model.crypto.DhGroup;

/**
 * The NIST curves' key exchange (RFC 5903: P-256, P-384, P-521) through OpenSSL 3's libcrypto, as FFM downcalls on
 * its {@code EC_POINT} functions: {@link #publicValue} is d·G, {@link #agree} the x-coordinate of d·Q. The private
 * scalar stays a Java array, as with {@link OpenSslX25519}: each call makes a native copy ({@code BN_bin2bn},
 * flagged constant-time) and clears and frees it ({@code BN_clear_free}) before it returns, with the product point,
 * so nothing native outlives a call. The peer's value goes through {@code EC_POINT_oct2point}, which refuses a
 * coordinate not below the field prime and a point not on the curve; a product at infinity is refused here.
 *
 * <p>Why: Bouncy Castle's special-form curves take 0.22 ms for a P-256 key pair and agreement, most of an IKEv1
 * main-mode responder's key-exchange cost; OpenSSL's P-256 is its assembly {@code nistz256} (docs/benchmarks.md,
 * "Key exchanges through OpenSSL").
 *
 * <p>Loading never throws: without {@code libcrypto.so.3}, one of its functions, or one of the three curves,
 * {@link #available()} is false and {@link KeyExchanges} stays on Bouncy Castle. Handles are linked critical (heap
 * arrays passed without a copy): these calls never block nor call back and take tens of microseconds at most.
 */
@SuppressWarnings("restricted") // links native code; run with --enable-native-access=ALL-UNNAMED
public final class OpenSslEcp {

    /** {@code POINT_CONVERSION_UNCOMPRESSED}: 0x04 || X || Y. */
    private static final int UNCOMPRESSED = 4;

    /** {@code EC_GROUP *EC_GROUP_new_by_curve_name(int nid);} */
    private static final MethodHandle GROUP_BY_NID = Libcrypto.linkPlain("EC_GROUP_new_by_curve_name",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));
    /** {@code EC_POINT *EC_POINT_new(const EC_GROUP *group);} */
    private static final MethodHandle POINT_NEW = Libcrypto.link("EC_POINT_new",
            FunctionDescriptor.of(ADDRESS, ADDRESS));
    /** {@code void EC_POINT_clear_free(EC_POINT *point);} */
    private static final MethodHandle POINT_CLEAR_FREE = Libcrypto.link("EC_POINT_clear_free",
            FunctionDescriptor.ofVoid(ADDRESS));
    /**
     * {@code int EC_POINT_mul(const EC_GROUP *group, EC_POINT *r, const BIGNUM *n, const EC_POINT *q,
     * const BIGNUM *m, BN_CTX *ctx);}
     */
    private static final MethodHandle POINT_MUL = Libcrypto.link("EC_POINT_mul",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    /**
     * {@code size_t EC_POINT_point2oct(const EC_GROUP *group, const EC_POINT *p, point_conversion_form_t form,
     * unsigned char *buf, size_t len, BN_CTX *ctx);}
     */
    private static final MethodHandle POINT2OCT = Libcrypto.link("EC_POINT_point2oct",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
    /**
     * {@code int EC_POINT_oct2point(const EC_GROUP *group, EC_POINT *p, const unsigned char *buf, size_t len,
     * BN_CTX *ctx);}
     */
    private static final MethodHandle OCT2POINT = Libcrypto.link("EC_POINT_oct2point",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    /** {@code int EC_POINT_is_at_infinity(const EC_GROUP *group, const EC_POINT *p);} */
    private static final MethodHandle AT_INFINITY = Libcrypto.link("EC_POINT_is_at_infinity",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    /**
     * {@code int EC_POINT_get_affine_coordinates(const EC_GROUP *group, const EC_POINT *p, BIGNUM *x, BIGNUM *y,
     * BN_CTX *ctx);}
     */
    private static final MethodHandle AFFINE = Libcrypto.link("EC_POINT_get_affine_coordinates",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    /** Each curve's EC_GROUP, made once and shared read-only by every thread for the JVM's life. */
    private static final Map<DhGroup, MemorySegment> GROUPS = new EnumMap<>(DhGroup.class);
    private static final String FAILURE;

    static {
        String failure = Libcrypto.failure();
        if (failure == null) {
            // NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1 (include/openssl/obj_mac.h)
            failure = group(DhGroup.ECP256, 415);
            failure = failure != null ? failure : group(DhGroup.ECP384, 715);
            failure = failure != null ? failure : group(DhGroup.ECP521, 716);
        }
        FAILURE = failure;
    }

    private OpenSslEcp() {
    }

    private static String group(DhGroup group, int nid) {
        try {
            MemorySegment g = (MemorySegment) GROUP_BY_NID.invokeExact(nid);
            if (g.equals(MemorySegment.NULL)) {
                Libcrypto.clearErrors();
                return "libcrypto.so.3 has no curve " + group.curveOrFamily();
            }
            GROUPS.put(group, g);
            return null;
        } catch (Throwable t) {
            return "libcrypto.so.3: EC_GROUP_new_by_curve_name(" + nid + "): " + t;
        }
    }

    /** True when libcrypto, every function above and the three curves were found. */
    public static boolean available() {
        return FAILURE == null;
    }

    /** Why {@link #available()} is false, or null. */
    public static String unavailableReason() {
        return FAILURE;
    }

    /** The octets of one coordinate (and of the shared secret) in {@code group}. */
    static int coordinateBytes(DhGroup group) {
        return group.publicValueBytes() / 2;
    }

    /** d·G as IKE carries it (RFC 5903 section 7): X || Y, each {@link #coordinateBytes} long. */
    public static byte[] publicValue(DhGroup group, byte[] d) {
        MemorySegment g = curve(group);
        int c = coordinateBytes(group);
        MemorySegment scalar = MemorySegment.NULL;
        MemorySegment q = MemorySegment.NULL;
        try {
            scalar = Libcrypto.secret(d);
            q = newPoint(g);
            if ((int) POINT_MUL.invokeExact(g, q, scalar, MemorySegment.NULL, MemorySegment.NULL,
                    MemorySegment.NULL) != 1) {
                Libcrypto.clearErrors();
                throw new IllegalStateException("EC_POINT_mul (d·G) failed on " + group);
            }
            byte[] encoded = new byte[1 + 2 * c];
            long n = (long) POINT2OCT.invokeExact(g, q, UNCOMPRESSED, MemorySegment.ofArray(encoded),
                    (long) encoded.length, MemorySegment.NULL);
            if (n != encoded.length || encoded[0] != UNCOMPRESSED) {
                Libcrypto.clearErrors();
                throw new IllegalStateException("EC_POINT_point2oct gave " + n + " octets on " + group);
            }
            byte[] out = new byte[2 * c];
            System.arraycopy(encoded, 1, out, 0, out.length);
            return out;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            release(scalar, q);
        }
    }

    /** Why {@link #agree} refused the peer's value. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The x-coordinate of d·Q, {@link #coordinateBytes} long, where Q is the peer's X || Y.
     *
     * @throws Refused when Q is not a point of the curve (a coordinate not below p, or off the curve) or d·Q is
     *     the point at infinity
     */
    public static byte[] agree(DhGroup group, byte[] d, byte[] peer) throws Refused {
        MemorySegment g = curve(group);
        int c = coordinateBytes(group);
        if (peer.length != 2 * c) {
            throw new IllegalArgumentException(group + " public value of " + peer.length + " octets");
        }
        byte[] encoded = new byte[1 + 2 * c];
        encoded[0] = UNCOMPRESSED;
        System.arraycopy(peer, 0, encoded, 1, peer.length);
        MemorySegment scalar = MemorySegment.NULL;
        MemorySegment theirs = MemorySegment.NULL;
        MemorySegment product = MemorySegment.NULL;
        MemorySegment x = MemorySegment.NULL;
        try {
            theirs = newPoint(g);
            if ((int) OCT2POINT.invokeExact(g, theirs, MemorySegment.ofArray(encoded), (long) encoded.length,
                    MemorySegment.NULL) != 1) {
                Libcrypto.clearErrors();
                throw new Refused(group + " public value is not a point on the curve");
            }
            scalar = Libcrypto.secret(d);
            product = newPoint(g);
            if ((int) POINT_MUL.invokeExact(g, product, MemorySegment.NULL, theirs, scalar,
                    MemorySegment.NULL) != 1) {
                Libcrypto.clearErrors();
                throw new IllegalStateException("EC_POINT_mul (d·Q) failed on " + group);
            }
            if ((int) AT_INFINITY.invokeExact(g, product) != 0) {
                throw new Refused(group + " shared point is the point at infinity");
            }
            x = Libcrypto.newBignum();
            if ((int) AFFINE.invokeExact(g, product, x, MemorySegment.NULL, MemorySegment.NULL) != 1) {
                Libcrypto.clearErrors();
                throw new IllegalStateException("EC_POINT_get_affine_coordinates failed on " + group);
            }
            return Libcrypto.octets(x, c);
        } catch (RuntimeException | Error | Refused e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        } finally {
            release(scalar, product);
            release(x, theirs);
        }
    }

    private static MemorySegment curve(DhGroup group) {
        MemorySegment g = GROUPS.get(group);
        if (g == null) {
            throw new IllegalArgumentException(FAILURE != null ? "OpenSSL ECP unavailable: " + FAILURE
                    : group + " is not a NIST curve");
        }
        return g;
    }

    private static MemorySegment newPoint(MemorySegment g) throws Throwable {
        MemorySegment p = (MemorySegment) POINT_NEW.invokeExact(g);
        Libcrypto.nonNull(p, "EC_POINT_new");
        return p;
    }

    /** Clears and frees a BIGNUM and a point; NULL is skipped. */
    private static void release(MemorySegment bn, MemorySegment point) {
        Libcrypto.clearFree(bn);
        try {
            if (!point.equals(MemorySegment.NULL)) {
                POINT_CLEAR_FREE.invokeExact(point);
            }
        } catch (Throwable t) {
            throw new AssertionError("FFM downcall failed unexpectedly", t);
        }
    }
}
