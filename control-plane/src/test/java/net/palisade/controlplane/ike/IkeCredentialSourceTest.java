package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import net.palisade.controlplane.MutableClock;
import net.palisade.controlplane.ike.auth.CredentialException;
import net.palisade.controlplane.ike.auth.Credentials;
import net.palisade.controlplane.ike.auth.TestPki;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.FailureReason;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine takes its certificate credentials from {@link IkeEnvironment#credentials()}: the files a tunnel names
 * need not exist when the caller supplies what they hold, and a source's refusal fails the session as an unusable
 * file does.
 */
class IkeCredentialSourceTest {
    /** Paths that exist nowhere: reading any of them would fail the handshake. */
    static final IkeAuth.Certificates A_FILES = new IkeAuth.Certificates("/nonexistent/a.pem", "/nonexistent/a.key",
            "/nonexistent/ca.pem");
    static final IkeAuth.Certificates B_FILES = new IkeAuth.Certificates("/nonexistent/b.pem", "/nonexistent/b.key",
            "/nonexistent/ca.pem");
    static Map<IkeAuth.Certificates, Credentials> loaded;

    @BeforeAll
    static void pki() throws CredentialException {
        TestPki.Issued ca = TestPki.ca("C=SE, O=Palisade Test, CN=Test CA", TestPki.ec("secp256r1"));
        TestPki.Issued a = TestPki.endEntity(ca, IkeCertSessionTest.DN_A, TestPki.ec("secp256r1"),
                List.of("dns:a.example.com"));
        TestPki.Issued b = TestPki.endEntity(ca, IkeCertSessionTest.DN_B, TestPki.ec("secp256r1"),
                List.of("dns:b.example.com"));
        loaded = Map.of(
                A_FILES, Credentials.of(List.of(a.cert()), a.keys().getPrivate(), List.of(ca.cert())),
                B_FILES, Credentials.of(List.of(b.cert()), b.keys().getPrivate(), List.of(ca.cert())));
    }

    private final MutableClock clock = new MutableClock(java.time.Instant.parse("2026-11-27T12:00:00Z"));
    private final List<IkeAuth.Certificates> asked = new ArrayList<>();

    private IkeEnvironment env(long seed, IkeEnvironment.CredentialSource source) {
        Random r = new Random(seed);
        return new IkeEnvironment(clock, r::nextBytes, KeyExchanges.standard(), Ikev2Codec.standard(), files -> {
            asked.add(files);
            return source.load(files);
        });
    }

    private static IkeTunnel withFiles(IkeTunnel t, IkeAuth.Certificates files) {
        return IkeCertSessionTest.withAuth(t, files, Optional.empty(), Optional.empty());
    }

    @Test
    void suppliedCredentialsAuthenticateBothSidesWithoutTheirFiles() {
        IkeTunnel a = withFiles(IkeLoop.gcm("unused", DhGroup.ECP256), A_FILES);
        IkeTunnel b = withFiles(IkeLoop.mirror(a), B_FILES);
        IkeSession initiator = IkeSession.initiator(a, IkeLoop.A, IkeLoop.B, env(1, loaded::get));
        IkeSession responder = IkeSession.responder(b, IkeLoop.B, IkeLoop.A, env(2, loaded::get), IkeSettings.DEFAULT);

        List<IkeOutput> out = converse(initiator, responder);

        assertThat(initiator.state()).as("%s", out).isEqualTo(IkeState.ESTABLISHED);
        assertThat(responder.state()).as("%s", out).isEqualTo(IkeState.ESTABLISHED);
        assertThat(out).filteredOn(IkeOutput.ChildSaInstalled.class::isInstance).hasSize(2);
        assertThat(asked).containsExactly(A_FILES, B_FILES);
    }

    @Test
    void credentialsTheSourceRefusesFailTheStartNamingTheProblem() {
        IkeTunnel a = withFiles(IkeLoop.gcm("unused", DhGroup.ECP256), A_FILES);
        IkeSession initiator = IkeSession.initiator(a, IkeLoop.A, IkeLoop.B, env(1, files -> {
            throw new CredentialException(files.key() + ": key does not match certificate " + files.cert());
        }));

        IkeSession.Step step = initiator.handle(new IkeInput.Start());

        assertThat(step.state()).isEqualTo(IkeState.CLOSED);
        assertThat(step.outputs()).noneMatch(IkeOutput.Send.class::isInstance);
        assertThat(step.outputs()).filteredOn(IkeOutput.NegotiationFailed.class::isInstance)
                .singleElement().isEqualTo(new IkeOutput.NegotiationFailed(FailureReason.AUTHENTICATION_FAILED,
                        "cannot use our certificate: /nonexistent/a.key: key does not match certificate "
                                + "/nonexistent/a.pem"));
    }

    /** Starts {@code a} and delivers every datagram to the other side until none is left; returns all outputs. */
    private static List<IkeOutput> converse(IkeSession a, IkeSession b) {
        record Flight(boolean toB, IkeOutput.Send send) {}
        List<IkeOutput> all = new ArrayList<>();
        Deque<Flight> inFlight = new ArrayDeque<>();
        IkeSession.Step step = a.handle(new IkeInput.Start());
        boolean toB = true;
        while (true) {
            all.addAll(step.outputs());
            for (IkeOutput o : step.outputs()) {
                if (o instanceof IkeOutput.Send s) {
                    inFlight.add(new Flight(toB, s));
                }
            }
            Flight f = inFlight.poll();
            if (f == null) {
                return all;
            }
            InetSocketAddress from = f.send().from();
            InetSocketAddress to = f.send().to();
            toB = !f.toB();
            step = (f.toB() ? b : a).handle(new IkeInput.Received(f.send().datagram(), from, to));
        }
    }
}
