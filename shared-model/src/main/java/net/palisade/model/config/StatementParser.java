package net.palisade.model.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.Durations;
import net.palisade.model.Host;
import net.palisade.model.Identity;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IpAddresses;
import net.palisade.model.Network;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.config.Drafts.AuthDraft;
import net.palisade.model.config.Drafts.ChildSaDraft;
import net.palisade.model.config.Drafts.IkeSaDraft;
import net.palisade.model.config.Drafts.IkeTunnelDraft;
import net.palisade.model.config.Drafts.ManualTunnelDraft;
import net.palisade.model.config.Drafts.TunnelDraft;
import net.palisade.model.config.Lexer.Kind;
import net.palisade.model.config.Lexer.Token;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;

/**
 * Parses the tokens of one {@code ike} or {@code manual} statement into a draft, recording where each keyword and
 * value was written (for validation's positions) and reporting syntax errors to its {@link ConfigParser}; the draft
 * is {@code null} when the statement has a syntax error. Validation of the values together is {@link Validator}'s.
 */
final class StatementParser {
    /** The settings written after one phase keyword (or, for phase 1, before any). */
    static final class Phase {
        final Field encField;
        final Field authField;
        final Field groupField;
        final Field lifetimeField;
        List<EncryptionAlgorithm> enc;
        List<AuthAlgorithm> auth;
        List<DhGroup> group;
        java.time.Duration lifetime;

        Phase(Field encField, Field authField, Field groupField, Field lifetimeField) {
            this.encField = encField;
            this.authField = authField;
            this.groupField = groupField;
            this.lifetimeField = lifetimeField;
        }
    }

    private final ConfigParser parser;
    private final ConfigParser.Statement st;
    private final List<Token> toks;
    private final Set<String> keywords;
    private final List<String> keywordOrder;
    private int i;
    private boolean bad;
    private boolean abort;
    private final Map<Field, Token> seen = new HashMap<>();

    StatementParser(ConfigParser parser, ConfigParser.Statement st, List<Token> toks) {
        this.parser = parser;
        this.st = st;
        this.toks = toks;
        boolean ike = st.keyword.equals("ike");
        this.keywords = ike ? ConfigParser.IKE_KEYWORDS : ConfigParser.MANUAL_KEYWORDS;
        this.keywordOrder = ike ? ConfigParser.IKE_ORDER : ConfigParser.MANUAL_ORDER;
    }

    private void err(Token t, String field, String message) {
        bad = true;
        parser.error(t, field, message);
    }

    private void err(ConfigParser.Pos p, String field, String message) {
        bad = true;
        parser.diagnostics.add(new Diagnostic(Diagnostic.Severity.ERROR, parser.source, p.line(), p.col(), field, message));
    }

    private boolean isKeyword(Token t) {
        return t.kind() == Kind.WORD && keywords.contains(t.text());
    }

    private static ConfigParser.Pos pos(Token t) {
        return new ConfigParser.Pos(t.line(), t.col());
    }

    /** Records the keyword of a field, refusing a second one. */
    private boolean once(Field f, Token kw) {
        Token first = seen.putIfAbsent(f, kw);
        if (first != null) {
            err(kw, kw.text(), "given twice (first at " + pos(first) + ")");
            while (i < toks.size() && !isKeyword(toks.get(i))) {
                i++;
            }
            return false;
        }
        st.keywords.put(f, pos(kw));
        st.keywordText.put(f, kw.text());
        return true;
    }

    /** The value after a keyword: a word or string that is not itself a keyword. */
    private Token value(Token kw, String expected) {
        if (i < toks.size() && toks.get(i).isValue() && !isKeyword(toks.get(i))) {
            return toks.get(i++);
        }
        err(kw, kw.text(), "missing value; expected " + expected + ", found "
                + (i < toks.size() ? ConfigParser.describe(toks.get(i)) : "end of line"));
        return null;
    }

    /** A plain value: a word or a string, not a malformed string. */
    private Token plain(Token kw, String expected) {
        Token v = value(kw, expected);
        if (v != null && v.kind() == Kind.BAD_STRING) {
            err(v, kw.text(), v.problem());
            return null;
        }
        return v;
    }

    private void item(Field f, Token t) {
        st.items.computeIfAbsent(f, k -> new ArrayList<>()).add(pos(t));
    }

    /** Skips an unknown token and what follows up to the next keyword of this statement. */
    private void unknown(Token t) {
        String field = st.keyword;
        if (t.kind() != Kind.WORD) {
            err(t, field, "unexpected " + ConfigParser.describe(t));
        } else if (st.keyword.equals("ike") && ConfigParser.MANUAL_KEYWORDS.contains(t.text())) {
            err(t, t.text(), "not allowed in an ike statement (only in manual)");
        } else if (st.keyword.equals("manual") && ConfigParser.IKE_KEYWORDS.contains(t.text())) {
            err(t, t.text(), "not allowed in a manual statement (only in ike)");
        } else if (t.kind() == Kind.WORD && IpAddresses.parse(t.text()).isPresent()) {
            err(t, field, "unexpected address '" + t.text() + "'; each peer needs its own peer keyword");
        } else if (t.kind() == Kind.LBRACE) {
            err(t, field, "unexpected '{'");
        } else {
            err(t, field, parser.unknownWord(t.text(), keywordOrder));
        }
        while (i < toks.size() && !isKeyword(toks.get(i))) {
            i++;
        }
    }

    // -- values

    private void networks(Field f, Token kw, List<Network> into) {
        if (!once(f, kw)) {
            return;
        }
        int count = 0;
        while (i < toks.size()) {
            Token t = toks.get(i);
            if (t.kind() != Kind.WORD || isKeyword(t) || !looksLikeNetwork(t.text())) {
                break;
            }
            i++;
            count++;
            item(f, t);
            try {
                into.add(Network.parse(t.text()));
            } catch (IllegalArgumentException e) {
                err(t, kw.text(), e.getMessage());
            }
        }
        if (count == 0) {
            err(kw, kw.text(), "expected a network (e.g. 10.1.0.0/16, 10.9.1.1 or any), found "
                    + (i < toks.size() ? ConfigParser.describe(toks.get(i)) : "end of line"));
        }
    }

    private static boolean looksLikeNetwork(String w) {
        return w.equals("any") || (!w.isEmpty() && Character.isDigit(w.charAt(0))) || w.indexOf(':') >= 0
                || w.indexOf('/') >= 0;
    }

    private Host host(Field f, Token kw) {
        Token v = plain(kw, "an IP address or host name");
        if (v == null) {
            return null;
        }
        item(f, v);
        try {
            return Host.parse(v.text());
        } catch (IllegalArgumentException e) {
            err(v, kw.text(), e.getMessage());
            return null;
        }
    }

    /** Comma-separated items; "a, b" (a space after the comma) is joined. Returns items with positions. */
    private List<Token> listItems(Token kw, String expected) {
        Token v = plain(kw, expected);
        if (v == null) {
            return List.of();
        }
        List<Token> parts = new ArrayList<>();
        Token cur = v;
        while (true) {
            String text = cur.text();
            int start = 0;
            for (int k = 0; k <= text.length(); k++) {
                if (k == text.length() || text.charAt(k) == ',') {
                    String part = text.substring(start, k);
                    boolean trailing = k == text.length() && part.isEmpty() && text.endsWith(",");
                    if (part.isEmpty() && !trailing) {
                        err(new ConfigParser.Pos(cur.line(), cur.col() + start), kw.text(), "empty item in list");
                    } else if (!part.isEmpty()) {
                        parts.add(new Token(Kind.WORD, part, cur.line(), cur.col() + start, null));
                    }
                    start = k + 1;
                }
            }
            if (text.endsWith(",") && i < toks.size() && toks.get(i).kind() == Kind.WORD && !isKeyword(toks.get(i))) {
                cur = toks.get(i++);
            } else {
                if (text.endsWith(",")) {
                    err(new ConfigParser.Pos(cur.line(), cur.col() + text.length() - 1), kw.text(), "list ends with ','");
                }
                return parts;
            }
        }
    }

    private <T> List<T> algorithms(Field f, Token kw, Function<String, T> parse, String expected) {
        List<T> out = new ArrayList<>();
        for (Token t : listItems(kw, expected)) {
            item(f, t);
            try {
                out.add(parse.apply(t.text()));
            } catch (IllegalArgumentException e) {
                err(t, kw.text(), e.getMessage());
            }
        }
        return out;
    }

    private java.time.Duration duration(Field f, Token kw) {
        Token v = plain(kw, "seconds or a number with s, m, h or d (e.g. 3600, 45m, 8h)");
        if (v == null) {
            return null;
        }
        item(f, v);
        try {
            return Durations.parse(v.text());
        } catch (IllegalArgumentException e) {
            err(v, kw.text(), e.getMessage());
            return null;
        }
    }

    private String label(Token kw) {
        Token v = plain(kw, "a name ([A-Za-z0-9_.-], 1-64 characters)");
        if (v != null) {
            item(Field.LABEL, v);
            return v.text();
        }
        return null;
    }

    /**
     * psk "STRING", psk 0xHEX, or psk [redacted] (keep the running tunnel's). On any problem the rest of the
     * statement is skipped: it may hold the secret.
     */
    private Secret psk(Token kw) {
        Token v = value(kw, "a quoted string or 0x-hex key");
        if (v == null) {
            abort = true;
            return null;
        }
        item(Field.PSK, v);
        switch (v.kind()) {
            case STRING -> {
                return Secret.ofText(v.text());
            }
            case BAD_STRING -> err(v, "psk", v.problem());
            default -> {
                if (v.text().equals(Secret.REDACTED)) {
                    return Secret.KEEP; // the running tunnel's psk, resolved by the validator
                }
                if (v.text().startsWith("0x") || v.text().startsWith("0X")) {
                    try {
                        return Secret.parseHex(v.text());
                    } catch (IllegalArgumentException e) {
                        err(v, "psk", e.getMessage());
                    }
                } else {
                    err(v, "psk", "expected a quoted string or 0x-hex key");
                }
            }
        }
        abort = true;
        return null;
    }

    /** KEY[:KEY] in hex, or [redacted] (keep the running tunnel's). On any problem the rest is skipped. */
    private DirectionalKeys keys(Field f, Token kw) {
        Token v = value(kw, "0x-hex KEY[:KEY]");
        if (v == null) {
            abort = true;
            return null;
        }
        if (v.kind() != Kind.WORD) {
            err(v, kw.text(), v.kind() == Kind.STRING
                    ? "expected 0x-hex, found a quoted string; convert an ASCII key to hex first (docs/config.md, ASCII keys)"
                    : v.problem());
            abort = true;
            return null;
        }
        if (v.text().equals(Secret.REDACTED)) {
            item(f, v);
            return DirectionalKeys.both(Secret.KEEP); // the running tunnel's keys, resolved by the validator
        }
        List<Token> parts = pair(v);
        if (parts.size() > 2) {
            err(v, kw.text(), "expected KEY or INBOUND:OUTBOUND, found more than two keys");
            abort = true;
            return null;
        }
        Secret[] secrets = new Secret[parts.size()];
        for (int k = 0; k < parts.size(); k++) {
            Token part = parts.get(k);
            item(f, part);
            try {
                secrets[k] = Secret.parseHex(part.text());
            } catch (IllegalArgumentException e) {
                err(part, kw.text(), e.getMessage());
                abort = true;
                return null;
            }
        }
        return secrets.length == 1 ? DirectionalKeys.both(secrets[0]) : new DirectionalKeys(secrets[0], secrets[1]);
    }

    /** Splits {@code IN:OUT} (or more, for the caller to refuse) into parts that keep their columns. */
    private static List<Token> pair(Token v) {
        List<Token> parts = new ArrayList<>();
        int start = 0;
        String text = v.text();
        for (int k = 0; k <= text.length(); k++) {
            if (k == text.length() || text.charAt(k) == ':') {
                parts.add(new Token(Kind.WORD, text.substring(start, k), v.line(), v.col() + start, null));
                start = k + 1;
            }
        }
        return parts;
    }

    private SpiPair spi(Token kw) {
        Token v = plain(kw, "IN[:OUT] SPIs (decimal or 0x-hex, e.g. 256:0x101)");
        if (v == null) {
            return null;
        }
        List<Token> parts = pair(v);
        if (parts.size() > 2) {
            err(v, "spi", "expected IN or IN:OUT, found '" + v.text() + "'");
            return null;
        }
        Spi[] spis = new Spi[parts.size()];
        for (int k = 0; k < parts.size(); k++) {
            Token part = parts.get(k);
            item(Field.SPI, part);
            try {
                spis[k] = Spi.parse(part.text());
            } catch (IllegalArgumentException e) {
                err(part, "spi", e.getMessage());
            }
        }
        if (bad) {
            return null;
        }
        return spis.length == 1 ? SpiPair.both(spis[0]) : new SpiPair(spis[0], spis[1]);
    }

    // -- ike

    TunnelDraft ike() {
        String label = null;
        Token mode = null;
        Token version = null;
        Token phase1 = null;
        Token phase2 = null;
        List<Network> from = new ArrayList<>();
        List<Network> to = new ArrayList<>();
        Host local = null;
        List<Host> peers = new ArrayList<>();
        Phase p1 = new Phase(Field.IKE_ENC, Field.IKE_AUTH, Field.IKE_GROUP, Field.IKE_LIFETIME);
        Phase p2 = new Phase(Field.CHILD_ENC, Field.CHILD_AUTH, Field.CHILD_GROUP, Field.CHILD_LIFETIME);
        Phase phase = p1;
        List<AuthAlgorithm> prf = null;
        Identity srcid = null;
        Identity dstid = null;
        Secret psk = null;
        String cert = null;
        String key = null;
        String ca = null;
        java.time.Duration dpd = null;
        boolean ping = false;
        boolean encap = false;
        boolean saPerFlow = false;

        while (i < toks.size() && !abort) {
            Token t = toks.get(i);
            if (!isKeyword(t)) {
                unknown(t);
                continue;
            }
            i++;
            switch (t.text()) {
                case "active", "passive", "dynamic" -> {
                    if (mode != null) {
                        err(t, t.text(), mode.text().equals(t.text()) ? "given twice (first at " + pos(mode) + ")"
                                : "conflicts with '" + mode.text() + "' at " + pos(mode));
                    } else {
                        mode = t;
                    }
                }
                case "ikev1", "ikev2" -> {
                    if (version != null) {
                        err(t, t.text(), version.text().equals(t.text()) ? "given twice (first at " + pos(version) + ")"
                                : "conflicts with '" + version.text() + "' at " + pos(version));
                    } else {
                        version = t;
                    }
                }
                case "main", "aggressive", "ikesa" -> {
                    phase1 = startPhase(t, phase1, Field.PHASE1, "phase 1");
                    phase = p1;
                }
                case "quick", "childsa" -> {
                    phase2 = startPhase(t, phase2, Field.PHASE2, "phase 2");
                    phase = p2;
                }
                case "enc" -> {
                    if (once(phase.encField, t)) {
                        phase.enc = algorithms(phase.encField, t, EncryptionAlgorithm::fromKeyword,
                                "algorithms (e.g. aes-128-gcm,aes-256-gcm)");
                    }
                }
                case "auth" -> {
                    if (once(phase.authField, t)) {
                        phase.auth = algorithms(phase.authField, t, AuthAlgorithm::fromKeyword,
                                "algorithms (e.g. hmac-sha2-256)");
                    }
                }
                case "prf" -> {
                    if (phase == p2) {
                        err(t, "prf", "prf is for phase 1 only; put it before " + phase2.text());
                        algorithms(Field.IKE_PRF, t, AuthAlgorithm::fromKeyword, "algorithms");
                    } else if (once(Field.IKE_PRF, t)) {
                        prf = algorithms(Field.IKE_PRF, t, AuthAlgorithm::fromKeyword,
                                "algorithms (e.g. hmac-sha2-256)");
                    }
                }
                case "group" -> {
                    if (once(phase.groupField, t)) {
                        phase.group = algorithms(phase.groupField, t, DhGroup::fromKeyword,
                                "groups (e.g. curve25519,ecp256)");
                    }
                }
                case "lifetime" -> {
                    if (once(phase.lifetimeField, t)) {
                        phase.lifetime = duration(phase.lifetimeField, t);
                    }
                }
                case "from" -> networks(Field.FROM, t, from);
                case "to" -> networks(Field.TO, t, to);
                case "local" -> {
                    if (once(Field.LOCAL, t)) {
                        local = host(Field.LOCAL, t);
                    }
                }
                case "peer" -> {
                    st.keywords.putIfAbsent(Field.PEER, pos(t));
                    Host h = host(Field.PEER, t);
                    if (h != null) {
                        peers.add(h);
                    }
                }
                case "srcid", "dstid" -> {
                    Field f = t.text().equals("srcid") ? Field.SRCID : Field.DSTID;
                    if (once(f, t)) {
                        Token v = plain(t, "an IP address, FQDN, user@FQDN or quoted DN");
                        if (v != null) {
                            item(f, v);
                            try {
                                Identity id = Identity.parse(v.text());
                                if (f == Field.SRCID) {
                                    srcid = id;
                                } else {
                                    dstid = id;
                                }
                            } catch (IllegalArgumentException e) {
                                err(v, t.text(), e.getMessage());
                            }
                        }
                    }
                }
                case "psk" -> {
                    if (once(Field.PSK, t)) {
                        psk = psk(t);
                    } else {
                        abort = true;
                    }
                }
                case "cert", "key", "ca" -> {
                    Field f = switch (t.text()) {
                        case "cert" -> Field.CERT;
                        case "key" -> Field.KEY;
                        default -> Field.CA;
                    };
                    if (once(f, t)) {
                        Token v = plain(t, "a file path");
                        if (v != null) {
                            item(f, v);
                            switch (f) {
                                case CERT -> cert = v.text();
                                case KEY -> key = v.text();
                                default -> ca = v.text();
                            }
                        }
                    }
                }
                case "dpd" -> {
                    if (once(Field.DPD, t)) {
                        dpd = duration(Field.DPD, t);
                    }
                }
                case "ping" -> {
                    if (once(Field.PING, t)) {
                        ping = true;
                    }
                }
                case "encap" -> {
                    if (once(Field.ENCAP, t)) {
                        encap = true;
                    }
                }
                case "sa-per-flow" -> {
                    if (once(Field.SA_PER_FLOW, t)) {
                        saPerFlow = true;
                    }
                }
                case "label" -> {
                    if (once(Field.LABEL, t)) {
                        label = label(t);
                    }
                }
                default -> throw new IllegalStateException("keyword without a case: " + t.text());
            }
        }

        IkeExchange exchange = exchange(version, phase1);
        if (bad) {
            return null;
        }
        IkeSaDraft ikeSa = new IkeSaDraft(p1.enc, p1.auth, prf, p1.group, p1.lifetime);
        ChildSaDraft childSa = new ChildSaDraft(p2.enc, p2.auth, p2.group, p2.lifetime);
        AuthDraft auth = psk == null && cert == null && key == null && ca == null ? null
                : new AuthDraft(psk, cert, key, ca);
        return new IkeTunnelDraft(label, mode == null ? null : IkeMode.fromKeyword(mode.text()), exchange,
                from, to, local, peers, ikeSa, childSa, srcid, dstid, auth, dpd, ping, encap, saPerFlow);
    }

    /** The first phase keyword of its kind starts the phase; a second one is an error. Returns the first. */
    private Token startPhase(Token t, Token first, Field f, String name) {
        if (first != null) {
            err(t, t.text(), name + " already started by '" + first.text() + "' at " + pos(first));
            return first;
        }
        st.keywords.put(f, pos(t));
        st.keywordText.put(f, t.text());
        return t;
    }

    /** main/aggressive select IKEv1, ikesa IKEv2; ikev1 alone means main mode; nothing means IKEv2. */
    private IkeExchange exchange(Token version, Token phase1) {
        Token decisive = phase1 != null ? phase1 : version;
        if (decisive != null) {
            st.keywords.put(Field.EXCHANGE, pos(decisive));
            st.keywordText.put(Field.EXCHANGE, decisive.text());
        }
        String v = version == null ? null : version.text();
        if (phase1 == null) {
            return "ikev1".equals(v) ? IkeExchange.IKEV1_MAIN : IkeExchange.IKEV2;
        }
        switch (phase1.text()) {
            case "main", "aggressive" -> {
                if ("ikev2".equals(v)) {
                    err(phase1, phase1.text(), "IKEv1 only; conflicts with ikev2 at " + pos(version));
                }
                return phase1.text().equals("main") ? IkeExchange.IKEV1_MAIN : IkeExchange.IKEV1_AGGRESSIVE;
            }
            default -> {
                if ("ikev1".equals(v)) {
                    err(phase1, "ikesa", "IKEv2 only; conflicts with ikev1 at " + pos(version)
                            + " (use main or aggressive)");
                }
                return IkeExchange.IKEV2;
            }
        }
    }

    // -- manual

    TunnelDraft manual() {
        String label = null;
        List<Network> from = new ArrayList<>();
        List<Network> to = new ArrayList<>();
        Host local = null;
        Host peer = null;
        SpiPair spi = null;
        EncryptionAlgorithm enc = null;
        DirectionalKeys encKey = null;
        AuthAlgorithm auth = null;
        DirectionalKeys authKey = null;
        Integer udpencap = null;

        while (i < toks.size() && !abort) {
            Token t = toks.get(i);
            if (!isKeyword(t)) {
                unknown(t);
                continue;
            }
            i++;
            switch (t.text()) {
                case "from" -> networks(Field.FROM, t, from);
                case "to" -> networks(Field.TO, t, to);
                case "local" -> {
                    if (once(Field.LOCAL, t)) {
                        local = host(Field.LOCAL, t);
                    }
                }
                case "peer" -> {
                    if (once(Field.PEER, t)) {
                        peer = host(Field.PEER, t);
                    }
                }
                case "spi" -> {
                    if (once(Field.SPI, t)) {
                        spi = spi(t);
                    }
                }
                case "enc" -> {
                    if (once(Field.ENC, t)) {
                        enc = single(Field.ENC, t, EncryptionAlgorithm::fromKeyword);
                    }
                }
                case "auth" -> {
                    if (once(Field.AUTH, t)) {
                        auth = single(Field.AUTH, t, AuthAlgorithm::fromKeyword);
                    }
                }
                case "enckey" -> {
                    if (once(Field.ENCKEY, t)) {
                        encKey = keys(Field.ENCKEY, t);
                    } else {
                        abort = true;
                    }
                }
                case "authkey" -> {
                    if (once(Field.AUTHKEY, t)) {
                        authKey = keys(Field.AUTHKEY, t);
                    } else {
                        abort = true;
                    }
                }
                case "udpencap" -> {
                    if (once(Field.UDPENCAP, t)) {
                        udpencap = Defaults.UDP_ENCAP_PORT;
                        if (i < toks.size() && toks.get(i).kind() == Kind.WORD && !isKeyword(toks.get(i))
                                && toks.get(i).text().chars().allMatch(Character::isDigit)) {
                            Token v = toks.get(i++);
                            item(Field.UDPENCAP, v);
                            udpencap = v.text().length() > 5 ? Integer.valueOf(-1) : Integer.valueOf(v.text());
                            if (udpencap < 1 || udpencap > 65535) {
                                err(v, "udpencap", "port must be 1-65535, found " + v.text());
                            }
                        }
                    }
                }
                case "label" -> {
                    if (once(Field.LABEL, t)) {
                        label = label(t);
                    }
                }
                default -> throw new IllegalStateException("keyword without a case: " + t.text());
            }
        }
        if (bad) {
            return null;
        }
        return new ManualTunnelDraft(label, from, to, local, peer, spi, enc, encKey, auth, authKey, udpencap);
    }

    private <T> T single(Field f, Token kw, Function<String, T> parse) {
        Token v = plain(kw, "one algorithm");
        if (v == null) {
            return null;
        }
        item(f, v);
        if (v.text().indexOf(',') >= 0) {
            err(v, kw.text(), "manual keying takes exactly one algorithm, found a list");
            return null;
        }
        try {
            return parse.apply(v.text());
        } catch (IllegalArgumentException e) {
            err(v, kw.text(), e.getMessage());
            return null;
        }
    }
}
