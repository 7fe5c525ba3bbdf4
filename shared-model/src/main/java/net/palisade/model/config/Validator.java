package net.palisade.model.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.Host;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpFamily;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Network;
import net.palisade.model.Spi;
import net.palisade.model.TunnelSpec;
import net.palisade.model.config.Drafts.AuthDraft;
import net.palisade.model.config.Drafts.ChildSaDraft;
import net.palisade.model.config.Drafts.IkeSaDraft;
import net.palisade.model.config.Drafts.IkeTunnelDraft;
import net.palisade.model.config.Drafts.ManualTunnelDraft;
import net.palisade.model.config.Drafts.TunnelDraft;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;

/**
 * The rules, shared by the config parser and JSON input: applies defaults to drafts, checks every rule, collects
 * every problem, and builds the model records of the tunnels that pass. Messages never contain a secret.
 */
final class Validator {
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    /**
     * The tunnels (in input order; {@code null} where a tunnel failed or its draft was {@code null}) and the
     * problems found.
     */
    record Outcome(List<TunnelSpec> tunnels, List<Problem> problems) {
        boolean hasErrors() {
            return problems.stream().anyMatch(p -> p.severity() == Diagnostic.Severity.ERROR);
        }
    }

    private final List<Problem> problems = new ArrayList<>();
    private final Support support;
    /**
     * The running config whose secrets a {@code [redacted]} ({@link Secret#KEEP}) keeps, by label; {@code null}: leave
     * the placeholders in the model for the config store to resolve at commit (JSON read by the API).
     */
    private final IpsecConfig running;
    private int tunnel;
    private boolean failed;

    private Validator(Support support, IpsecConfig running) {
        this.support = support;
        this.running = running;
    }

    /**
     * Validates drafts; {@code null} entries (tunnels that did not even parse) are skipped. A {@code [redacted]} secret
     * is an error: there is no running config to keep it from.
     */
    static Outcome validate(List<? extends TunnelDraft> drafts, Support support) {
        return validate(drafts, support, new IpsecConfig(List.of()));
    }

    /**
     * Validates drafts; a {@code [redacted]} secret becomes the secret of {@code running}'s tunnel with the same
     * label, or is an error when it has none; {@code running} null leaves the placeholder in the model.
     */
    static Outcome validate(List<? extends TunnelDraft> drafts, Support support, IpsecConfig running) {
        Validator v = new Validator(support, running);
        List<String> labels = assignLabels(drafts);
        List<TunnelSpec> out = new ArrayList<>();
        for (int i = 0; i < drafts.size(); i++) {
            TunnelDraft d = drafts.get(i);
            v.tunnel = i;
            v.failed = false;
            TunnelSpec t = switch (d) {
                case null -> null;
                case IkeTunnelDraft ike -> v.ike(ike, labels.get(i));
                case ManualTunnelDraft manual -> v.manual(manual, labels.get(i));
            };
            out.add(v.failed ? null : t);
        }
        v.crossChecks(drafts);
        return new Outcome(java.util.Collections.unmodifiableList(out), List.copyOf(v.problems));
    }

    /** Validates a config built in code, by turning it back into drafts; {@code running} as for drafts. */
    static Outcome validate(IpsecConfig config, Support support, IpsecConfig running) {
        return validate(config.tunnels().stream().map(Validator::toDraft).toList(), support, running);
    }

    /**
     * A {@code [redacted]} secret ({@link Secret#KEEP}): the secret {@code of} finds in the running tunnel of this
     * label, or an error at the placeholder (null returned) when there is none. Other secrets, and placeholders while
     * there is no running config to look in, as given.
     */
    private <T> T kept(Field f, String label, T given, boolean placeholder,
            java.util.function.Function<TunnelSpec, Optional<T>> of) {
        if (!placeholder || running == null) {
            return given;
        }
        Optional<TunnelSpec> was = running.tunnel(label);
        Optional<T> secret = was.flatMap(of);
        if (secret.isEmpty()) {
            error(f, 0, Secret.REDACTED + " keeps the " + f.keyword + " of the running tunnel '" + label + "', but "
                    + (was.isEmpty() ? "no running tunnel has that label" : "that tunnel has no " + f.keyword)
                    + "; write the " + f.keyword + " itself");
            return null;
        }
        return secret.get();
    }

    /** Whether some from network and some to network of one family, neither {@code any}, give ping its addresses. */
    private static boolean pingable(List<Network> from, List<Network> to) {
        return from.stream().filter(f -> f != null && !f.isAny()).anyMatch(f -> to.stream()
                .anyMatch(t -> t != null && !t.isAny() && t.family().equals(f.family())));
    }

    private static boolean placeholder(DirectionalKeys k) {
        return k != null && (k.inbound().keep() || k.outbound().keep());
    }

    /**
     * A host name that is also a keyword of the language ({@code peer active}) could come in through JSON but could
     * never be written back as config text: the parser would read the keyword. Refused everywhere, so that every
     * config a node accepts prints as text that loads again (found by fuzzing the JSON door).
     */
    private void keywordHost(Field f, int item, Host h) {
        if (h != null && h.dnsName().isPresent() && (ConfigParser.IKE_KEYWORDS.contains(h.dnsName().get())
                || ConfigParser.MANUAL_KEYWORDS.contains(h.dnsName().get()))) {
            error(f, item, "'" + h.dnsName().get() + "' is a keyword of the configuration language and cannot be a"
                    + " host name here; use the host's address or a fully qualified name");
        }
    }

    // ---- labels ------------------------------------------------------------------------------------------

    /**
     * Explicit labels as given; for the others a label derived from a hash of the flows and peers, so it does not
     * change when other tunnels are added or reordered. A generated label that collides with an explicit one, or
     * with an earlier generated one, gets {@code -2}, {@code -3}... in input order.
     */
    private static List<String> assignLabels(List<? extends TunnelDraft> drafts) {
        Set<String> used = new HashSet<>();
        for (TunnelDraft d : drafts) {
            if (d != null && d.label() != null) {
                used.add(d.label());
            }
        }
        List<String> out = new ArrayList<>();
        for (TunnelDraft d : drafts) {
            if (d == null) {
                out.add(null);
            } else if (d.label() != null) {
                out.add(d.label());
            } else {
                String base = generatedLabel(d);
                String candidate = base;
                for (int n = 2; used.contains(candidate); n++) {
                    candidate = base + "-" + n;
                }
                used.add(candidate);
                out.add(candidate);
            }
        }
        return out;
    }

    /** {@code auto-} and 8 hex digits of SHA-256 over the tunnel kind, flows and peers. */
    static String generatedLabel(TunnelDraft d) {
        StringBuilder sb = new StringBuilder();
        List<?> peers = switch (d) {
            case IkeTunnelDraft ike -> ike.peers();
            case ManualTunnelDraft m -> m.peer() == null ? null : List.of(m.peer());
        };
        sb.append(d instanceof IkeTunnelDraft ? "ike" : "manual")
                .append("|from ").append(join(d.from()))
                .append("|to ").append(join(d.to()))
                .append("|peer ").append(join(peers));
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return "auto-" + HexFormat.of().formatHex(h, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JDK", e);
        }
    }

    private static String join(List<?> items) {
        return items == null ? "" : items.stream().map(String::valueOf).collect(Collectors.joining(" "));
    }

    // ---- IKE ---------------------------------------------------------------------------------------------

    private IkeTunnel ike(IkeTunnelDraft d, String label) {
        label(d.label());
        IkeMode mode = d.mode() != null ? d.mode() : IkeMode.ACTIVE;
        IkeExchange ex = d.exchange() != null ? d.exchange() : IkeExchange.IKEV2;
        boolean v1 = ex.ikev1();
        List<Network> from = networks(Field.FROM, d.from());
        List<Network> to = networks(Field.TO, d.to());
        pairFamilies(from, to);

        List<Host> peers = list(Field.PEER, d.peers(), List.of());
        if (mode != IkeMode.PASSIVE && peers.isEmpty()) {
            error(Field.PEER, -1, "missing: " + mode.keyword() + " mode initiates and needs peer ADDR "
                    + "(use passive to accept any peer)");
        }
        for (int i = 0; i < peers.size(); i++) {
            keywordHost(Field.PEER, i, peers.get(i));
        }
        keywordHost(Field.LOCAL, 0, d.local());
        if (d.local() != null && d.local().family().isPresent()) {
            IpFamily lf = d.local().family().get();
            for (int i = 0; i < peers.size(); i++) {
                Host p = peers.get(i);
                if (p != null && p.family().isPresent() && p.family().get() != lf) {
                    error(Field.PEER, i, p + " is " + p.family().get().display() + " but local " + d.local() + " is "
                            + lf.display());
                }
            }
        }

        IkeSaDraft p1 = d.ikeSa() != null ? d.ikeSa() : IkeSaDraft.EMPTY;
        List<EncryptionAlgorithm> enc1 = list(Field.IKE_ENC, p1.enc(), Defaults.ikeEnc(ex));
        for (int i = 0; i < enc1.size(); i++) {
            EncryptionAlgorithm e = enc1.get(i);
            if (e == null) {
                continue;
            }
            if (v1 && !e.ikev1Phase1()) {
                error(Field.IKE_ENC, i, e.keyword() + " is not available in IKEv1 phase 1; use aes-128 or aes-256");
            }
            weak(Field.IKE_ENC, i, e, v1 ? "aes-128" : "aes-128-gcm");
        }
        List<AuthAlgorithm> auth1;
        if (v1) {
            auth1 = list(Field.IKE_AUTH, p1.auth(), Defaults.INTEGRITY);
            weakAll(Field.IKE_AUTH, auth1);
        } else {
            auth1 = integrity(Field.IKE_AUTH, p1.auth(), enc1);
        }
        List<AuthAlgorithm> prf;
        if (v1) {
            if (p1.prf() != null && !p1.prf().isEmpty()) {
                error(Field.IKE_PRF, 0, "IKEv1 has no prf (its PRF is the HMAC of the auth hash); remove prf or use IKEv2");
            }
            prf = List.of();
        } else {
            prf = list(Field.IKE_PRF, p1.prf(), Defaults.IKEV2_PRF);
            weakAll(Field.IKE_PRF, prf);
        }
        List<DhGroup> groups1 = list(Field.IKE_GROUP, p1.groups(), Defaults.ikeGroups(ex));
        for (int i = 0; i < groups1.size(); i++) {
            DhGroup g = groups1.get(i);
            if (g == DhGroup.NONE) {
                error(Field.IKE_GROUP, i, "none is only allowed in phase 2 (after quick or childsa)");
            } else if (g != null && v1 && g.ikev1Id().isEmpty()) {
                error(Field.IKE_GROUP, i, g.keyword() + " is not defined for IKEv1; use ecp256 or modp2048");
            }
            weak(Field.IKE_GROUP, i, g);
        }
        Duration life1 = lifetime(Field.IKE_LIFETIME, p1.lifetime(), Defaults.IKE_LIFETIME);

        ChildSaDraft p2 = d.childSa() != null ? d.childSa() : ChildSaDraft.EMPTY;
        List<EncryptionAlgorithm> enc2 = list(Field.CHILD_ENC, p2.enc(), Defaults.CHILD_ENC);
        for (int i = 0; i < enc2.size(); i++) {
            EncryptionAlgorithm e = enc2.get(i);
            if (e == null) {
                continue;
            }
            if (v1 && !e.ikev1Esp()) {
                error(Field.CHILD_ENC, i, e.keyword() + " is not defined for IKEv1; use aes-128-gcm or aes-256-gcm");
            }
            weak(Field.CHILD_ENC, i, e, "aes-128-gcm");
        }
        List<AuthAlgorithm> auth2 = integrity(Field.CHILD_AUTH, p2.auth(), enc2);
        List<DhGroup> groups2;
        if (p2.groups() == null) {
            groups2 = groups1;
        } else {
            groups2 = list(Field.CHILD_GROUP, p2.groups(), groups1);
            for (int i = 0; i < groups2.size(); i++) {
                DhGroup g = groups2.get(i);
                if (g == DhGroup.NONE && groups2.size() > 1) {
                    error(Field.CHILD_GROUP, i, "none turns PFS off and cannot be combined with other groups");
                } else if (g != null && g != DhGroup.NONE && v1 && g.ikev1Id().isEmpty()) {
                    error(Field.CHILD_GROUP, i, g.keyword() + " is not defined for IKEv1; use ecp256 or modp2048");
                }
                weak(Field.CHILD_GROUP, i, g);
            }
        }
        Duration life2 = lifetime(Field.CHILD_LIFETIME, p2.lifetime(), Defaults.CHILD_LIFETIME);

        if (ex.ikev1() && !support.ikev1()) {
            error(Field.EXCHANGE, -1, Support.NO_IKEV1);
        }
        IkeAuth auth = authentication(d.authentication(), label);
        if (ex.ikev1() && support.ikev1() && auth instanceof IkeAuth.Certificates) {
            if (!support.ikev1Certificates()) {
                error(Field.CERT, -1, Support.NO_IKEV1_CERTIFICATES);
            } else if (ex == IkeExchange.IKEV1_AGGRESSIVE && !support.ikev1AggressiveCertificates()) {
                error(Field.CERT, -1, Support.NO_IKEV1_AGGRESSIVE_CERTIFICATES);
            }
        }
        if (ex.ikev1() && support.ikev1() && !support.ikev1Encap() && d.encap() != null && d.encap()) {
            error(Field.ENCAP, -1, Support.NO_IKEV1_ENCAP);
        }
        if (ex == IkeExchange.IKEV1_AGGRESSIVE && auth instanceof IkeAuth.Psk) {
            warning(Field.EXCHANGE, -1, "aggressive mode with a psk lets an eavesdropper guess the psk offline; "
                    + "prefer IKEv2 or main mode, and use a long random psk");
        }

        Duration dpd = d.dpd() != null ? d.dpd() : Defaults.dpd(mode);
        if (dpd != null && (dpd.compareTo(Defaults.DPD_MIN) < 0 || dpd.compareTo(Defaults.DPD_MAX) > 0)) {
            error(Field.DPD, 0, "must be between 1 s and 1 h (3600), found " + dpd.getSeconds() + " s");
        }
        boolean ping = d.ping() != null && d.ping();
        if (ping && !pingable(from, to)) {
            error(Field.PING, 0, "needs a from network and a to network of one address family, neither any: it pings"
                    + " from the first address of the one to the first address of the other");
        }
        boolean saPerFlow = d.saPerFlow() != null && d.saPerFlow();
        if (saPerFlow && from != null && to != null && from.size() * to.size() > Defaults.SA_PER_FLOW_PAIRS_MAX) {
            error(Field.SA_PER_FLOW, 0, "makes one Child SA per from/to pair: at most "
                    + Defaults.SA_PER_FLOW_PAIRS_MAX + " pairs, found " + from.size() + " x " + to.size() + " = "
                    + from.size() * to.size());
        }
        if (failed) {
            return null;
        }
        return new IkeTunnel(label, mode, ex, from, to, Optional.ofNullable(d.local()), peers,
                new IkeSaSpec(enc1, auth1, prf, groups1, life1),
                new ChildSaSpec(enc2, auth2, groups2, life2, pfsRequired(p2, groups2)),
                Optional.ofNullable(d.srcId()), Optional.ofNullable(d.dstId()), auth,
                Optional.ofNullable(dpd), ping, d.encap() != null && d.encap(), saPerFlow);
    }

    /**
     * Groups written for phase 2 make PFS required of the peer; the defaults (the IKE groups) only propose it. JSON
     * may say so itself ({@code pfsRequired}, as the model writes it), so a printed model reads back the same.
     */
    private static boolean pfsRequired(ChildSaDraft p2, List<DhGroup> groups) {
        boolean written = p2.pfsRequired() != null ? p2.pfsRequired() : p2.groups() != null;
        return written && !groups.contains(DhGroup.NONE);
    }

    /** Integrity for IKEv2 phase 1 or for phase 2: required for non-AEAD encs, refused when all are AEAD. */
    private List<AuthAlgorithm> integrity(Field field, List<AuthAlgorithm> given, List<EncryptionAlgorithm> enc) {
        Optional<EncryptionAlgorithm> nonAead = enc.stream().filter(e -> e != null && !e.aead()).findFirst();
        if (given == null) {
            return Defaults.integrityFor(enc.stream().filter(Objects::nonNull).toList());
        }
        if (nonAead.isEmpty()) {
            if (!given.isEmpty()) {
                EncryptionAlgorithm aead = enc.stream().filter(Objects::nonNull).findFirst().orElse(null);
                error(field, 0, "not used: " + (aead == null ? "AEAD" : aead.keyword())
                        + " is AEAD and has its own integrity; remove auth");
            }
            return List.of();
        }
        if (given.isEmpty()) {
            error(field, -1, "empty; " + nonAead.get().keyword() + " is not AEAD and needs an integrity algorithm");
            return List.of();
        }
        List<AuthAlgorithm> out = list(field, given, List.of());
        weakAll(field, out);
        return out;
    }

    private IkeAuth authentication(AuthDraft a, String label) {
        Secret given = a == null ? null : a.psk();
        Secret psk = kept(Field.PSK, label, given, given != null && given.keep(), t -> t instanceof IkeTunnel k
                && k.authentication() instanceof IkeAuth.Psk p ? Optional.of(p.psk()) : Optional.empty());
        if (given != null && psk == null) {
            return null;
        }
        String cert = a == null ? null : a.cert();
        String key = a == null ? null : a.key();
        String ca = a == null ? null : a.ca();
        if (psk == null && cert == null) {
            if (key != null) {
                error(Field.KEY, 0, "key belongs to cert; add cert FILE (and ca FILE) or remove key");
            }
            if (ca != null) {
                error(Field.CA, 0, "ca belongs to cert; add cert FILE (and key FILE) or remove ca");
            }
            error(Field.PSK, -1, "missing authentication: add psk \"STRING\" or cert FILE key FILE ca FILE");
            return null;
        }
        if (psk != null && cert != null) {
            error(Field.CERT, -1, "give either psk or cert, not both");
            return null;
        }
        if (psk != null) {
            if (key != null) {
                error(Field.KEY, 0, "key belongs to cert, not psk; remove key");
            }
            if (ca != null) {
                error(Field.CA, 0, "ca belongs to cert, not psk; remove ca");
            }
            if (psk.keep()) {
                return new IkeAuth.Psk(psk); // resolved at commit
            } else if (psk.length() == 0) {
                error(Field.PSK, 0, "empty");
            } else if (psk.length() < Defaults.PSK_MIN_ADVISED) {
                // the length only: the message must never hint at the secret's content
                warning(Field.PSK, 0, "shorter than " + Defaults.PSK_MIN_ADVISED + " bytes: anyone who records one"
                        + " exchange can try to guess it offline; use a long random psk (palisade key generate"
                        + " aes-256 prints one)");
            }
            return new IkeAuth.Psk(psk);
        }
        path(Field.CERT, cert);
        if (key == null) {
            error(Field.KEY, -1, "missing: cert needs key FILE (the private key) and ca FILE");
        } else {
            path(Field.KEY, key);
        }
        if (ca == null) {
            error(Field.CA, -1, "missing: cert needs ca FILE (the CA that issued the peer's certificate)");
        } else {
            path(Field.CA, ca);
        }
        return key == null || ca == null ? null : new IkeAuth.Certificates(cert, key, ca);
    }

    private void path(Field f, String path) {
        if (path.isEmpty()) {
            error(f, 0, "empty file path");
        } else if (path.chars().anyMatch(Character::isISOControl)) {
            error(f, 0, "file path contains a control character");
        }
    }

    // ---- manual ------------------------------------------------------------------------------------------

    private ManualTunnel manual(ManualTunnelDraft d, String label) {
        label(d.label());
        List<Network> from = networks(Field.FROM, d.from());
        List<Network> to = networks(Field.TO, d.to());
        pairFamilies(from, to);
        Host local = d.local();
        Host peer = d.peer();
        if (local == null) {
            error(Field.LOCAL, -1, "missing: manual keying needs local ADDR (an IP address)");
        } else if (!local.isIp()) {
            error(Field.LOCAL, 0, "manual keying needs an IP address, found host name '" + local + "'");
        }
        if (peer == null) {
            error(Field.PEER, -1, "missing: manual keying needs peer ADDR (an IP address)");
        } else if (!peer.isIp()) {
            error(Field.PEER, 0, "manual keying needs an IP address, found host name '" + peer + "'");
        } else if (local != null && local.isIp() && !local.family().equals(peer.family())) {
            error(Field.PEER, 0, peer + " is " + peer.family().get().display() + " but local " + local + " is "
                    + local.family().get().display());
        }
        if (d.spi() == null) {
            error(Field.SPI, -1, "missing: manual keying needs spi IN[:OUT]");
        }
        EncryptionAlgorithm enc = d.enc();
        if (enc == null) {
            error(Field.ENC, -1, "missing: manual keying needs enc ALG");
        } else {
            weak(Field.ENC, 0, enc, "aes-128-gcm");
        }
        DirectionalKeys encKey = kept(Field.ENCKEY, label, d.encKey(), placeholder(d.encKey()),
                t -> t instanceof ManualTunnel m ? Optional.of(m.encKey()) : Optional.empty());
        DirectionalKeys authKey = kept(Field.AUTHKEY, label, d.authKey(), placeholder(d.authKey()),
                t -> t instanceof ManualTunnel m ? m.authKey() : Optional.empty());
        if (d.encKey() == null) {
            error(Field.ENCKEY, -1, "missing: manual keying needs enckey KEY[:KEY]");
        } else if (enc != null && encKey != null && !placeholder(encKey)) {
            keyLengths(Field.ENCKEY, encKey, enc.keyword(), enc.keyMaterialBytes(), enc.keyBytes(), enc.saltBytes());
        }
        AuthAlgorithm auth = d.auth();
        if (enc != null && enc.aead() && auth != null) {
            error(Field.AUTH, 0, enc.keyword() + " is AEAD and has its own integrity; remove auth and authkey");
        } else if (enc != null && !enc.aead() && auth == null) {
            error(Field.AUTH, -1, "missing: " + enc.keyword() + " is not AEAD; manual keying needs auth ALG authkey KEY");
        }
        if (auth != null) {
            weak(Field.AUTH, 0, auth);
            if (d.authKey() == null) {
                error(Field.AUTHKEY, -1, "missing: auth " + auth.keyword() + " needs authkey KEY[:KEY]");
            } else if (authKey != null && !placeholder(authKey)) {
                keyLengths(Field.AUTHKEY, authKey, auth.keyword(), auth.keyBytes(), auth.keyBytes(), 0);
            }
        } else if (d.authKey() != null && (enc == null || !enc.aead())) {
            error(Field.AUTHKEY, 0, "authkey without auth ALG");
        } else if (d.authKey() != null) {
            error(Field.AUTHKEY, 0, enc.keyword() + " is AEAD and takes no authkey");
        }
        Integer port = d.udpEncapPort();
        if (port != null && (port < 1 || port > 65535)) {
            error(Field.UDPENCAP, 0, "port must be 1-65535, found " + port);
        }
        if (failed) {
            return null;
        }
        return new ManualTunnel(label, from, to, local, peer, d.spi(), enc, encKey, Optional.ofNullable(auth),
                Optional.ofNullable(authKey), port == null ? OptionalInt.empty() : OptionalInt.of(port));
    }

    private void keyLengths(Field f, DirectionalKeys keys, String alg, int total, int keyBytes, int saltBytes) {
        keyLength(f, 0, keys.inbound(), alg, total, keyBytes, saltBytes, "");
        if (keys.outbound() != keys.inbound()) {
            keyLength(f, 1, keys.outbound(), alg, total, keyBytes, saltBytes, " (outbound key)");
        }
    }

    private void keyLength(Field f, int item, Secret key, String alg, int total, int keyBytes, int saltBytes, String which) {
        if (key.length() == total) {
            return;
        }
        String detail = saltBytes > 0
                ? total * 2 + " hex digits: " + keyBytes + "-byte key + " + saltBytes + "-byte salt"
                : total * 2 + " hex digits";
        error(f, item, alg + " needs " + total + " bytes (" + detail + "), got " + key.length() + " bytes" + which);
    }

    // ---- shared ------------------------------------------------------------------------------------------

    private void label(String label) {
        if (label != null && !LABEL.matcher(label).matches()) {
            error(Field.LABEL, 0, "expected 1-64 characters of A-Z a-z 0-9 _ . -, found '" + label + "'");
        }
    }

    private List<Network> networks(Field f, List<Network> given) {
        if (given == null || given.isEmpty()) {
            error(f, -1, "missing: expected " + f.keyword + " NET [NET ...] (e.g. 10.1.0.0/16, 10.9.1.1 or any)");
            return List.of();
        }
        return list(f, given, List.of());
    }

    /** Every network needs a partner of its family on the other side ({@code any} fits both). */
    private void pairFamilies(List<Network> from, List<Network> to) {
        if (from.isEmpty() || to.isEmpty() || from.stream().anyMatch(Objects::isNull) || to.stream().anyMatch(Objects::isNull)) {
            return;
        }
        pairFamilies(Field.FROM, from, "to", to);
        pairFamilies(Field.TO, to, "from", from);
    }

    private void pairFamilies(Field f, List<Network> side, String otherName, List<Network> other) {
        for (int i = 0; i < side.size(); i++) {
            Network n = side.get(i);
            if (n == null || n.family().isEmpty()) {
                continue;
            }
            IpFamily fam = n.family().get();
            if (other.stream().noneMatch(o -> o != null && o.fits(fam))) {
                error(f, i, n + " is " + fam.display() + " but " + otherName + " has no " + fam.display()
                        + " network (or any)");
            }
        }
    }

    /** The given list (checked: not empty, no missing items, no duplicates) or the default when not given. */
    private <T> List<T> list(Field f, List<T> given, List<T> dflt) {
        if (given == null) {
            return dflt;
        }
        if (given.isEmpty() && f != Field.PEER) {
            error(f, -1, "empty list");
            return given;
        }
        Map<T, Integer> seen = new HashMap<>();
        for (int i = 0; i < given.size(); i++) {
            T v = given.get(i);
            if (v == null) {
                error(f, i, "missing value");
            } else if (seen.putIfAbsent(v, i) != null) {
                error(f, i, v + " listed twice");
            }
        }
        return new ArrayList<>(given);
    }

    private Duration lifetime(Field f, Duration given, Duration dflt) {
        if (given == null) {
            return dflt;
        }
        if (given.compareTo(Defaults.LIFETIME_MIN) < 0) {
            error(f, 0, "must be at least 60 s, found " + given.getSeconds() + " s");
        } else if (given.compareTo(Defaults.LIFETIME_MAX) > 0) {
            error(f, 0, "must be at most 30 d (2592000 s), found " + given.getSeconds() + " s");
        }
        return given;
    }

    private void weak(Field f, int item, EncryptionAlgorithm e, String better) {
        if (e.weak()) {
            warning(f, item, e.keyword() + " is weak; use " + better);
        }
    }

    private void weak(Field f, int item, DhGroup g) {
        if (g != null && g.weak()) {
            warning(f, item, g.keyword() + " is weak (1024 bits; RFC 8247 forbids it): accepted for old peers only;"
                    + " use modp2048 or ecp256");
        }
    }

    private void weak(Field f, int item, AuthAlgorithm a) {
        if (a != null && a.weak()) {
            warning(f, item, a.keyword() + " is weak; use hmac-sha2-256");
        }
    }

    private void weakAll(Field f, List<AuthAlgorithm> list) {
        for (int i = 0; i < list.size(); i++) {
            weak(f, i, list.get(i));
        }
    }

    private void error(Field f, int item, String message) {
        failed = true;
        problems.add(Problem.error(tunnel, f, item, message));
    }

    private void warning(Field f, int item, String message) {
        problems.add(Problem.warning(tunnel, f, item, message));
    }

    // ---- across tunnels ----------------------------------------------------------------------------------

    private void crossChecks(List<? extends TunnelDraft> drafts) {
        Map<String, Integer> labels = new HashMap<>();
        Map<Spi, Integer> inbound = new HashMap<>();
        Map<List<Object>, Integer> outbound = new HashMap<>();
        Map<List<Network>, Problem.Ref> flows = new HashMap<>();
        for (int i = 0; i < drafts.size(); i++) {
            TunnelDraft d = drafts.get(i);
            if (d == null) {
                continue;
            }
            if (d.label() != null) {
                Integer first = labels.putIfAbsent(d.label(), i);
                if (first != null) {
                    related(i, Field.LABEL, 0, "'" + d.label() + "' is already used by the tunnel at {ref}",
                            new Problem.Ref(first, Field.LABEL, 0));
                }
            }
            if (d instanceof ManualTunnelDraft m && m.spi() != null) {
                Integer first = inbound.putIfAbsent(m.spi().inbound(), i);
                if (first != null) {
                    related(i, Field.SPI, 0, "inbound SPI " + m.spi().inbound().describe()
                            + " is already used by the tunnel at {ref}", new Problem.Ref(first, Field.SPI, 0));
                }
                if (m.peer() != null) {
                    Integer firstOut = outbound.putIfAbsent(List.of(m.peer(), m.spi().outbound()), i);
                    if (firstOut != null) {
                        related(i, Field.SPI, 1, "outbound SPI " + m.spi().outbound().describe() + " to " + m.peer()
                                + " is already used by the tunnel at {ref}", new Problem.Ref(firstOut, Field.SPI, 1));
                    }
                }
            }
            flows:
            if (d.from() != null && d.to() != null) {
                for (int f = 0; f < d.from().size(); f++) {
                    for (Network t : d.to()) {
                        Network n = d.from().get(f);
                        if (n == null || t == null) {
                            continue;
                        }
                        List<Network> key = List.of(n, t);
                        Problem.Ref first = flows.get(key);
                        if (first != null && first.tunnel() != i) {
                            problems.add(new Problem(i, Field.FROM, f, Diagnostic.Severity.WARNING, "flow " + n + " to "
                                    + t + " is also used by the tunnel at {ref}; which tunnel carries it depends on "
                                    + "policy order", first));
                            break flows;
                        }
                        flows.putIfAbsent(key, new Problem.Ref(i, Field.FROM, f));
                    }
                }
            }
        }
    }

    private void related(int t, Field f, int item, String message, Problem.Ref ref) {
        problems.add(new Problem(t, f, item, Diagnostic.Severity.ERROR, message, ref));
    }

    // ---- records back to drafts --------------------------------------------------------------------------

    static TunnelDraft toDraft(TunnelSpec t) {
        return switch (t) {
            case IkeTunnel k -> new IkeTunnelDraft(k.label(), k.mode(), k.exchange(), k.from(), k.to(),
                    k.local().orElse(null), k.peers(),
                    new IkeSaDraft(k.ikeSa().enc(), k.ikeSa().auth(), k.ikeSa().prf(), k.ikeSa().groups(),
                            k.ikeSa().lifetime()),
                    new ChildSaDraft(k.childSa().enc(), k.childSa().auth(), k.childSa().groups(), k.childSa().lifetime(),
                            k.childSa().pfsRequired()),
                    k.srcId().orElse(null), k.dstId().orElse(null),
                    switch (k.authentication()) {
                        case IkeAuth.Psk p -> new AuthDraft(p.psk(), null, null, null);
                        case IkeAuth.Certificates c -> new AuthDraft(null, c.cert(), c.key(), c.ca());
                    },
                    k.dpd().orElse(null), k.ping(), k.encap(), k.saPerFlow());
            case ManualTunnel m -> new ManualTunnelDraft(m.label(), m.from(), m.to(), m.local(), m.peer(), m.spi(),
                    m.enc(), m.encKey(), m.auth().orElse(null), m.authKey().orElse(null),
                    m.udpEncapPort().isPresent() ? m.udpEncapPort().getAsInt() : null);
        };
    }
}
