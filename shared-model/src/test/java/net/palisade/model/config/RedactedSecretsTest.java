package net.palisade.model.config;

import static net.palisade.model.config.TestSupport.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.secret.Secret;
import org.junit.jupiter.api.Test;

/**
 * What a node shows (secrets {@code [redacted]}) loads again: a {@code [redacted]} secret keeps the running tunnel's
 * of the same label, in text and in JSON, and is refused at its place when there is none.
 */
class RedactedSecretsTest {
    private static final String PSK = "a-long-psk-nobody-guesses-0123456789";
    private static final String KEY = "0x" + "11".repeat(20);
    private static final String AUTH = "0x" + "22".repeat(32);
    private static final IpsecConfig RUNNING = ok("""
            ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk "%s" label to-b
            manual from 10.1.0.0/16 to 10.3.0.0/16 local 192.0.2.1 peer 192.0.2.3 spi 256:257 enc aes-128 enckey 0x%s auth hmac-sha2-256 authkey %s label to-c
            ike from 10.1.0.0/16 to 10.4.0.0/16 peer 192.0.2.4 cert a.pem key a.key ca ca.pem label to-d
            """.formatted(PSK, "33".repeat(16), AUTH));

    @Test
    void thePrintedConfigWithOneLineEditedKeepsEverySecret() {
        String shown = ConfigPrinter.printRedacted(RUNNING);
        assertThat(shown).contains("psk [redacted]", "enckey [redacted]", "authkey [redacted]").doesNotContain(PSK);
        String edited = shown.replace("peer 192.0.2.2", "peer 192.0.2.12");

        ConfigResult r = ConfigParser.parse(edited, "edited.conf", Support.LANGUAGE, RUNNING);
        assertThat(r.errors()).isEmpty();
        IkeTunnel toB = (IkeTunnel) r.orThrow().tunnel("to-b").orElseThrow();
        assertThat(((IkeAuth.Psk) toB.authentication()).psk().revealTextOrNull()).isEqualTo(PSK);
        assertThat(toB.peers().getFirst().toString()).isEqualTo("192.0.2.12");
        ManualTunnel toC = (ManualTunnel) r.orThrow().tunnel("to-c").orElseThrow();
        assertThat(toC).isEqualTo(RUNNING.tunnel("to-c").orElseThrow());
        assertThat(toC.authKey().orElseThrow().inbound().revealHex()).isEqualTo(AUTH);
        // it prints with the secrets themselves: nothing of the placeholder is left in the model
        assertThat(ConfigPrinter.print(r.orThrow())).contains("psk \"" + PSK + "\"").doesNotContain("[redacted]");
    }

    @Test
    void aRedactedSecretOfANewLabelIsRefusedAtItsPlace() {
        String text = "ike from 10.1.0.0/16 to 10.9.0.0/16 peer 192.0.2.9 psk [redacted] label new-site\n";
        assertThat(ConfigParser.parse(text, "t.conf", Support.LANGUAGE, RUNNING).errors())
                .extracting(Diagnostic::toString).containsExactly("t.conf:1:56: psk: [redacted] keeps the psk of the"
                        + " running tunnel 'new-site', but no running tunnel has that label; write the psk itself");
    }

    @Test
    void aRedactedPskOfACertificateTunnelIsRefused() {
        String text = "ike from 10.1.0.0/16 to 10.4.0.0/16 peer 192.0.2.4 psk [redacted] label to-d\n";
        assertThat(ConfigParser.parse(text, "t.conf", Support.LANGUAGE, RUNNING).errors())
                .extracting(Diagnostic::toString).containsExactly("t.conf:1:56: psk: [redacted] keeps the psk of the"
                        + " running tunnel 'to-d', but that tunnel has no psk; write the psk itself");
    }

    @Test
    void withoutARunningConfigEveryRedactedSecretIsRefused() {
        String shown = ConfigPrinter.printRedacted(RUNNING);
        List<String> errors = ConfigParser.parse(shown, "t.conf").errors().stream().map(Diagnostic::toString)
                .toList();
        assertThat(errors).hasSize(3).allMatch(e -> e.contains("no running tunnel has that label"));
        assertThat(errors).anyMatch(e -> e.contains(": enckey: [redacted] keeps the enckey of the running tunnel 'to-c'"));
    }

    @Test
    void jsonWithARedactedPskKeepsTheRunningOneAtCommitAndIsRefusedForANewLabel() {
        String json = ConfigJson.write(RUNNING.tunnel("to-b").orElseThrow()).replace("192.0.2.2", "192.0.2.12");
        assertThat(json).contains("\"psk\" : \"[redacted]\"");
        ConfigResult read = ConfigJson.readTunnel(json, "api");
        assertThat(read.errors()).isEmpty();
        IkeTunnel placeholder = (IkeTunnel) read.orThrow().tunnels().getFirst();
        assertThat(((IkeAuth.Psk) placeholder.authentication()).psk()).isSameAs(Secret.KEEP);

        ConfigResult committed = ConfigValidator.resolve(read.orThrow(), RUNNING, "api", Support.LANGUAGE);
        assertThat(committed.errors()).isEmpty();
        IkeTunnel kept = (IkeTunnel) committed.orThrow().tunnels().getFirst();
        assertThat(((IkeAuth.Psk) kept.authentication()).psk().revealTextOrNull()).isEqualTo(PSK);

        ConfigResult fresh = ConfigValidator.resolve(read.orThrow(), new IpsecConfig(List.of()), "api",
                Support.LANGUAGE);
        assertThat(fresh.errors()).extracting(Diagnostic::toString).containsExactly("api: tunnels[0].authentication"
                + ".psk: [redacted] keeps the psk of the running tunnel 'to-b', but no running tunnel has that label;"
                + " write the psk itself");
    }

    @Test
    void aQuotedRedactedIsAPskLikeAnyOther() {
        IkeTunnel t = (IkeTunnel) ConfigParser.parse(
                "ike from 10.1.0.0/16 to 10.9.0.0/16 peer 192.0.2.9 psk \"[redacted]\" label x", "t.conf")
                .orThrow().tunnels().getFirst();
        assertThat(((IkeAuth.Psk) t.authentication()).psk().keep()).isFalse();
    }
}
