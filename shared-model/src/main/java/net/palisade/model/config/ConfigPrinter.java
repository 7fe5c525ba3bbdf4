package net.palisade.model.config;

import java.util.List;
import java.util.stream.Collectors;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.Durations;
import net.palisade.model.IdType;
import net.palisade.model.Identity;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.TunnelSpec;
import net.palisade.model.secret.Secret;

/**
 * Prints a config in canonical form: an {@code ipsec { }} block, one statement per line, two-space indent,
 * keywords in grammar order, and only what differs from the defaults (plus the label, always, so that a generated
 * label is pinned). {@code print(parse(print(c)))} equals {@code print(c)}.
 *
 * <p>{@link #print} writes secrets in full: its output is the config file itself. {@link #printRedacted} writes
 * {@code [redacted]} instead, for logs and displays; that output does not parse back.
 */
public final class ConfigPrinter {
    private final boolean redact;

    private ConfigPrinter(boolean redact) {
        this.redact = redact;
    }

    /** The config file text, secrets included. */
    public static String print(IpsecConfig config) {
        return new ConfigPrinter(false).config(config);
    }

    /** The config text with every psk and key shown as {@code [redacted]}. */
    public static String printRedacted(IpsecConfig config) {
        return new ConfigPrinter(true).config(config);
    }

    /** One statement (no block, no newline), secrets included. */
    public static String printStatement(TunnelSpec tunnel) {
        return new ConfigPrinter(false).statement(tunnel);
    }

    /** One statement with secrets redacted. */
    public static String printStatementRedacted(TunnelSpec tunnel) {
        return new ConfigPrinter(true).statement(tunnel);
    }

    private String config(IpsecConfig config) {
        StringBuilder sb = new StringBuilder("ipsec {\n");
        for (TunnelSpec t : config.tunnels()) {
            sb.append("  ").append(statement(t)).append('\n');
        }
        return sb.append("}\n").toString();
    }

    private String statement(TunnelSpec t) {
        return switch (t) {
            case IkeTunnel k -> ike(k);
            case ManualTunnel m -> manual(m);
        };
    }

    private String ike(IkeTunnel t) {
        StringBuilder sb = new StringBuilder("ike");
        if (t.mode() != IkeMode.ACTIVE) {
            sb.append(' ').append(t.mode().keyword());
        }
        IkeExchange ex = t.exchange();
        if (ex.ikev1()) {
            sb.append(" ikev1");
        }
        sb.append(" from ").append(join(t.from(), " "));
        sb.append(" to ").append(join(t.to(), " "));
        t.local().ifPresent(l -> sb.append(" local ").append(l));
        t.peers().forEach(p -> sb.append(" peer ").append(p));

        IkeSaSpec p1 = t.ikeSa();
        StringBuilder s1 = new StringBuilder();
        option(s1, "enc", p1.enc(), Defaults.ikeEnc(ex));
        option(s1, "auth", p1.auth(), Defaults.ikeAuth(ex, p1.enc()));
        option(s1, "prf", p1.prf(), Defaults.ikePrf(ex));
        option(s1, "group", p1.groups(), Defaults.ikeGroups(ex));
        if (!p1.lifetime().equals(Defaults.IKE_LIFETIME)) {
            s1.append(" lifetime ").append(Durations.format(p1.lifetime()));
        }
        if (ex == IkeExchange.IKEV1_AGGRESSIVE) {
            sb.append(" aggressive");
        } else if (!s1.isEmpty()) {
            sb.append(ex.ikev1() ? " main" : " ikesa");
        }
        sb.append(s1);

        ChildSaSpec p2 = t.childSa();
        StringBuilder s2 = new StringBuilder();
        option(s2, "enc", p2.enc(), Defaults.CHILD_ENC);
        option(s2, "auth", p2.auth(), Defaults.integrityFor(p2.enc()));
        // written groups mean PFS is required: printed even when they are the IKE groups, so the rule survives
        option(s2, "group", p2.groups(), p2.pfsRequired() ? List.of() : p1.groups());
        if (!p2.lifetime().equals(Defaults.CHILD_LIFETIME)) {
            s2.append(" lifetime ").append(Durations.format(p2.lifetime()));
        }
        if (!s2.isEmpty()) {
            sb.append(ex.ikev1() ? " quick" : " childsa").append(s2);
        }

        t.srcId().ifPresent(id -> sb.append(" srcid ").append(identity(id)));
        t.dstId().ifPresent(id -> sb.append(" dstid ").append(identity(id)));
        switch (t.authentication()) {
            case IkeAuth.Psk p -> sb.append(" psk ").append(psk(p.psk()));
            case IkeAuth.Certificates c -> sb.append(" cert ").append(word(c.cert()))
                    .append(" key ").append(word(c.key()))
                    .append(" ca ").append(word(c.ca()));
        }
        t.dpd().ifPresent(d -> {
            if (!d.equals(Defaults.dpd(t.mode()))) {
                sb.append(" dpd ").append(d.getSeconds());
            }
        });
        if (t.ping()) {
            sb.append(" ping");
        }
        if (t.encap()) {
            sb.append(" encap");
        }
        if (t.saPerFlow()) {
            sb.append(" sa-per-flow");
        }
        sb.append(" label ").append(word(t.label()));
        return sb.toString();
    }

    private String manual(ManualTunnel t) {
        StringBuilder sb = new StringBuilder("manual");
        sb.append(" from ").append(join(t.from(), " "));
        sb.append(" to ").append(join(t.to(), " "));
        sb.append(" local ").append(t.local());
        sb.append(" peer ").append(t.peer());
        sb.append(" spi ").append(t.spi().inbound().toConfigString());
        if (!t.spi().symmetric()) {
            sb.append(':').append(t.spi().outbound().toConfigString());
        }
        sb.append(" enc ").append(t.enc().keyword());
        sb.append(" enckey ").append(keys(t.encKey()));
        t.auth().ifPresent(a -> sb.append(" auth ").append(a.keyword()));
        t.authKey().ifPresent(k -> sb.append(" authkey ").append(keys(k)));
        t.udpEncapPort().ifPresent(p -> {
            sb.append(" udpencap");
            if (p != Defaults.UDP_ENCAP_PORT) {
                sb.append(' ').append(p);
            }
        });
        sb.append(" label ").append(word(t.label()));
        return sb.toString();
    }

    private static <T> void option(StringBuilder sb, String keyword, List<T> value, List<T> dflt) {
        if (!value.equals(dflt)) {
            sb.append(' ').append(keyword).append(' ').append(join(value, ","));
        }
    }

    private static String join(List<?> items, String sep) {
        return items.stream().map(String::valueOf).collect(Collectors.joining(sep));
    }

    private String psk(Secret s) {
        if (redact) {
            return Secret.REDACTED;
        }
        String text = s.revealTextOrNull();
        return text != null ? quote(text) : s.revealHex();
    }

    private String keys(DirectionalKeys k) {
        if (redact) {
            return Secret.REDACTED;
        }
        String in = k.inbound().revealHex();
        return k.symmetric() ? in : in + ":" + k.outbound().revealHex();
    }

    private static String identity(Identity id) {
        return id.type() == IdType.DN ? quote(id.value()) : word(id.value());
    }

    /** A bare word when it reads back as the same value; else a quoted string. */
    static String word(String s) {
        boolean plain = !s.isEmpty() && s.chars().allMatch(c -> c > ' ' && c != '"' && c != '#' && c != '{'
                && c != '}' && c != '\\' && c != 0x7f)
                && !ConfigParser.IKE_KEYWORDS.contains(s) && !ConfigParser.MANUAL_KEYWORDS.contains(s);
        return plain ? s : quote(s);
    }

    static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
