package net.palisade.api;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import net.palisade.controlplane.ike.auth.CredentialException;
import net.palisade.controlplane.ike.auth.Credentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS for the API ({@code palisade run --api-tls-cert FILE --api-tls-key FILE}): the certificate chain and key
 * from PEM files, TLS 1.3 and 1.2 only. The files are read again when they change (looked at, at most once every
 * {@link #RECHECK}, when a connection is made), so a renewed certificate is served without a restart; a renewal that
 * does not load (half written, key not matching) keeps the one in use and says why in the log.
 */
public final class ApiTls {
    /** How often a handshake looks at the files' modification times. */
    static final Duration RECHECK = Duration.ofSeconds(1);
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    private static final Logger log = LoggerFactory.getLogger(ApiTls.class);

    private final Path certFile;
    private final Path keyFile;
    private final Clock clock;
    private final SSLContext context;
    private volatile Loaded current;
    private volatile Instant nextCheck;

    private ApiTls(Path certFile, Path keyFile, Clock clock, Loaded first) throws GeneralSecurityException {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.clock = clock;
        this.current = first;
        this.nextCheck = clock.instant().plus(RECHECK);
        this.context = SSLContext.getInstance("TLS");
        context.init(new javax.net.ssl.KeyManager[] {new Reloading()}, null, null);
    }

    /**
     * Loads the certificate chain (holder first) and its key.
     *
     * @throws CredentialException naming the file and the problem (never key material), or a key that does not
     *     belong to the certificate
     */
    public static ApiTls load(Path certFile, Path keyFile) throws CredentialException {
        return load(certFile, keyFile, Clock.systemUTC());
    }

    static ApiTls load(Path certFile, Path keyFile, Clock clock) throws CredentialException {
        Loaded first = Loaded.read(certFile, keyFile);
        warnIfReadable(keyFile);
        try {
            return new ApiTls(certFile, keyFile, clock, first);
        } catch (GeneralSecurityException e) {
            throw new CredentialException("TLS is not available in this JVM: " + e.getMessage(), e);
        }
    }

    /** A server engine with the protocols above. */
    public SSLEngine serverEngine() {
        SSLEngine e = context.createSSLEngine();
        e.setUseClientMode(false);
        e.setEnabledProtocols(PROTOCOLS.clone());
        return e;
    }

    /** The certificate served now (the holder's). */
    public X509Certificate certificate() {
        reloadIfChanged();
        return current.chain().getFirst();
    }

    private static void warnIfReadable(Path keyFile) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(keyFile);
            if (p.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("{}: the API's TLS key is readable by every user; chmod o-r it", keyFile);
            }
        } catch (IOException | UnsupportedOperationException e) {
            // not a POSIX file system: nothing to say
        }
    }

    /** Re-reads the files when their modification time or size changed since the last look. */
    private void reloadIfChanged() {
        Instant now = clock.instant();
        if (now.isBefore(nextCheck)) {
            return;
        }
        synchronized (this) {
            if (now.isBefore(nextCheck)) {
                return;
            }
            nextCheck = now.plus(RECHECK);
            Stamp stamp = Stamp.of(certFile, keyFile);
            if (stamp.equals(current.stamp())) {
                return;
            }
            try {
                Loaded next = Loaded.read(certFile, keyFile);
                current = next;
                log.info("API TLS: {} reloaded, now serving {} (valid until {})", certFile,
                        next.chain().getFirst().getSubjectX500Principal(), next.chain().getFirst().getNotAfter());
            } catch (CredentialException | RuntimeException e) {
                // keep serving the old one (an exception out of here would fail every handshake); say so once per
                // change of the files
                current = current.withStamp(stamp);
                log.error("API TLS: {} / {} changed but do not load ({}); still serving the previous certificate",
                        certFile, keyFile, e.getMessage());
            }
        }
    }

    /** Modification times and sizes of the two files (or nulls when one cannot be read). */
    private record Stamp(Object certTime, long certSize, Object keyTime, long keySize) {
        static Stamp of(Path cert, Path key) {
            return new Stamp(time(cert), size(cert), time(key), size(key));
        }

        private static Object time(Path p) {
            try {
                return Files.getLastModifiedTime(p);
            } catch (IOException e) {
                return null;
            }
        }

        private static long size(Path p) {
            try {
                return Files.size(p);
            } catch (IOException e) {
                return -1;
            }
        }
    }

    /** A chain and key that belong together, with the key manager that serves them. */
    private record Loaded(List<X509Certificate> chain, X509KeyManager manager, Stamp stamp) {
        static Loaded read(Path certFile, Path keyFile) throws CredentialException {
            Stamp stamp = Stamp.of(certFile, keyFile);
            List<X509Certificate> chain = Credentials.certificates(certFile);
            PrivateKey key = Credentials.privateKey(keyFile);
            if (!Objects.equals(chain.getFirst().getPublicKey().getAlgorithm(), key.getAlgorithm())
                    || !matches(chain.getFirst(), key)) {
                throw new CredentialException(keyFile + " is not the key of the certificate in " + certFile);
            }
            try {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                char[] none = new char[0];
                store.setKeyEntry("api", key, none, chain.toArray(X509Certificate[]::new));
                KeyManagerFactory f = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                f.init(store, none);
                return new Loaded(chain, (X509KeyManager) f.getKeyManagers()[0], stamp);
            } catch (GeneralSecurityException | IOException e) {
                throw new CredentialException(certFile + ": cannot be served (" + e.getMessage() + ")", e);
            }
        }

        Loaded withStamp(Stamp s) {
            return new Loaded(chain, manager, s);
        }

        /** Signs a probe with the key and verifies it with the certificate's public key. */
        private static boolean matches(X509Certificate cert, PrivateKey key) {
            String alg = switch (key.getAlgorithm()) {
                case "RSA" -> "SHA256withRSA";
                case "EC" -> "SHA256withECDSA";
                case "Ed25519", "EdDSA" -> "Ed25519";
                default -> null;
            };
            if (alg == null) {
                return false;
            }
            try {
                byte[] probe = "palisade api tls key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                java.security.Signature s = java.security.Signature.getInstance(alg);
                s.initSign(key);
                s.update(probe);
                byte[] sig = s.sign();
                java.security.Signature v = java.security.Signature.getInstance(alg);
                v.initVerify(cert.getPublicKey());
                v.update(probe);
                return v.verify(sig);
            } catch (GeneralSecurityException e) {
                return false;
            }
        }
    }

    /** Serves whatever {@link #current} holds, after a look at the files. */
    private final class Reloading extends X509ExtendedKeyManager {
        private X509KeyManager now() {
            reloadIfChanged();
            return current.manager();
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            X509KeyManager m = now();
            return m instanceof X509ExtendedKeyManager x ? x.chooseEngineServerAlias(keyType, issuers, engine)
                    : m.chooseServerAlias(keyType, issuers, null);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return now().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return current.manager().getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return current.manager().getPrivateKey(alias);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return now().getServerAliases(keyType, issuers);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
