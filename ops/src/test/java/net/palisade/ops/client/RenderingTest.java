package net.palisade.ops.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Timelines, problem documents and tunnel tables as text, from the API's JSON forms. */
class RenderingTest {
    private static final ObjectMapper json = new ObjectMapper();

    private static JsonNode tree(String s) throws Exception {
        return json.readTree(s);
    }

    @Test
    void aTimelineLineIsTimeTypeCauseAndTheOtherFields() throws Exception {
        JsonNode events = tree("""
                [{"offset": 42, "sequenceNr": 7, "type": "negotiation-failed", "label": "to-b",
                  "time": "2026-11-27T03:12:07.120Z", "node": "127.0.0.1:25520", "cause": "peer",
                  "reason": "NO_PROPOSAL_CHOSEN", "detail": ""}]""");
        assertThat(Timeline.lines(events, false))
                .containsExactly("2026-11-27T03:12:07Z  negotiation-failed  peer  reason=NO_PROPOSAL_CHOSEN");
    }

    @Test
    void fieldsAreSummedUpQuotedAndSecretsLeftOut() throws Exception {
        JsonNode events = tree("""
                [{"type": "configured", "label": "m", "time": "2026-11-27T03:00:00Z", "node": "a:1", "cause": "commit:c-1",
                  "spec": {"type": "manual", "label": "m", "peer": "192.0.2.9", "encKey": "[redacted]"}},
                 {"type": "child-sa-installed", "label": "m", "time": "2026-11-27T03:00:01Z", "node": "a:1", "cause": "peer",
                  "sa": {"id": "child-1", "spi": {"inbound": 4096, "outbound": 4097}}},
                 {"type": "phase1-down", "label": "m", "time": "2026-11-27T03:00:02Z", "node": "b:1", "cause": "node",
                  "reason": "node restart"},
                 {"type": "peer-switched", "label": "m", "time": "2026-11-27T03:00:03Z", "node": "b:1", "cause": "timer",
                  "from": null, "to": "192.0.2.10", "extra": {"psk": "[redacted]", "n": 1}}]""");
        assertThat(Timeline.lines(events, false)).containsExactly(
                "2026-11-27T03:00:00Z  configured          commit:c-1  node=a:1  kind=manual  peer=192.0.2.9",
                "2026-11-27T03:00:01Z  child-sa-installed  peer        node=a:1  sa=child-1  in=0x1000  out=0x1001",
                "2026-11-27T03:00:02Z  phase1-down         node        node=b:1  reason=\"node restart\"",
                "2026-11-27T03:00:03Z  peer-switched       timer       node=b:1  to=192.0.2.10  extra.n=1");
        assertThat(Timeline.lines(events, true).get(0)).startsWith("2026-11-27T03:00:00Z  m  configured");
    }

    @Test
    void aProblemWithFieldErrorsIsAHeadlineAndOneLinePerError() throws Exception {
        String body = """
                {"type": "about:blank", "title": "Invalid configuration", "status": 422, "detail": "2 error(s)",
                 "errors": [{"field": "ike", "message": "unknown keyword 'peeer'", "line": 1, "column": 37},
                            {"field": "enckey", "message": "aes-128-gcm needs 20 bytes"}]}""";
        CliFailure f = Problems.failure(422, body, json, Path.of("/t"));
        assertThat(f.exitCode()).isEqualTo(1);
        assertThat(f.getMessage()).isEqualTo("422 Invalid configuration: 2 error(s)");
        assertThat(f.details()).containsExactly("1:37: ike: unknown keyword 'peeer'", "enckey: aes-128-gcm needs 20 bytes");
    }

    @Test
    void aSingleFieldProblemIsOneLine() throws Exception {
        String body = """
                {"title": "Bad request", "status": 400, "detail": "not an instant",
                 "errors": [{"field": "since", "message": "not an instant"}]}""";
        CliFailure f = Problems.failure(400, body, json, Path.of("/t"));
        assertThat(f.getMessage()).isEqualTo("400 Bad request: since: not an instant");
        assertThat(f.details()).isEmpty();
    }

    @Test
    void unauthorizedNamesTheTokenFileAndOtherStatusesMapToExitCodes() throws Exception {
        CliFailure f = Problems.failure(401, "{\"title\": \"Unauthorized\", \"status\": 401, \"detail\": \"the bearer"
                + " token is not valid\"}", json, Path.of("/srv/token"));
        assertThat(f.exitCode()).isEqualTo(2);
        assertThat(f.details()).singleElement().asString().contains("/srv/token").contains("--token-file");
        assertThat(Problems.failure(503, "", json, Path.of("/t")).exitCode()).isEqualTo(2);
        assertThat(Problems.failure(409, "", json, Path.of("/t")).exitCode()).isEqualTo(1);
        assertThat(Problems.failure(502, "<html>bad gateway</html>\nmore", json, Path.of("/t")).getMessage())
                .isEqualTo("502: <html>bad gateway</html>");
    }

    @Test
    void tunnelsAsStatusTableSasAndState() throws Exception {
        JsonNode tunnels = tree("""
                [{"label": "to-b", "configured": true, "kind": "ike", "status": "connecting", "admin": "up", "peer": null,
                  "ikeSa": null, "sas": [], "since": "2026-11-27T14:00:00.5Z", "lastFailure": "NO_PROPOSAL_CHOSEN",
                  "config": {"type": "ike", "peers": ["192.0.2.2", "192.0.2.3"]}},
                 {"label": "m", "configured": true, "kind": "manual", "status": "up", "admin": "up", "peer": "192.0.2.9",
                  "sas": [{"id": "manual", "spi": {"inbound": 4096, "outbound": 4097}}], "since": "2026-11-27T14:00:00Z",
                  "counters": {"packetsIn": 3, "packetsOut": 4, "bytesIn": 300, "bytesOut": 400,
                               "drops": {"replay": 2, "auth": 0}}},
                 {"label": "n", "kind": "manual", "status": "up", "admin": "down", "peer": "192.0.2.8",
                  "sas": [{"name": "manual", "inboundSpi": "0x2000", "outboundSpi": "0x2001"}],
                  "counters": {"in": {"packets": 1, "bytes": 10}, "out": {"packets": 2, "bytes": 20}}}]""");
        assertThat(Tunnels.statusTable(tunnels)).isEqualTo("""
                LABEL  KIND    STATUS      ADMIN  PEER                 SINCE                 LAST FAILURE
                to-b   ike     connecting  up     192.0.2.2,192.0.2.3  2026-11-27T14:00:00Z  NO_PROPOSAL_CHOSEN
                m      manual  up          up     192.0.2.9            2026-11-27T14:00:00Z  -
                n      manual  up          down   192.0.2.8            -                     -
                """);
        assertThat(Tunnels.sas(tunnels)).containsExactly(
                "to-b  ike  connecting  peer 192.0.2.2,192.0.2.3",
                "  no SAs",
                "m  manual  up  peer 192.0.2.9",
                "  SA manual  in 0x1000  out 0x1001",
                "  packets in 3 out 4  bytes in 300 out 400  drops replay=2",
                "n  manual  up  peer 192.0.2.8",
                "  SA manual  in 0x2000  out 0x2001",
                "  packets in 1 out 2  bytes in 10 out 20");
        assertThat(Tunnels.state(tunnels.get(1), "state of m:")).containsExactly(
                "state of m:",
                "  configured    yes",
                "  kind          manual",
                "  status        up",
                "  admin         up",
                "  peer          192.0.2.9",
                "  IKE SA        -",
                "  SAs           manual  in 0x1000  out 0x1001",
                "  since         2026-11-27T14:00:00Z",
                "  last failure  -",
                "  spec          -");
    }

    @Test
    void thePingVerdictShowsBesideTheStatus() throws Exception {
        JsonNode tunnels = tree("""
                [{"label": "to-b", "configured": true, "kind": "ike", "status": "up", "admin": "up",
                  "peer": "192.0.2.2", "ikeSa": "a:b", "sas": [], "since": "2026-11-27T14:00:00Z",
                  "lastFailure": "ping-lost: 3 echoes to 10.2.0.1 unanswered", "reachability": "unreachable"}]""");
        assertThat(Tunnels.statusTable(tunnels)).isEqualTo("""
                LABEL  KIND  STATUS            ADMIN  PEER       SINCE                 LAST FAILURE
                to-b   ike   up (unreachable)  up     192.0.2.2  2026-11-27T14:00:00Z  ping-lost: 3 echoes to 10.2.0.1 unanswered
                """);
        assertThat(Tunnels.state(tunnels.get(0), "state of to-b:")).contains("  ping          unreachable");
    }

    @Test
    void anAnyPeerTunnelShowsEachPeersIkeSa() throws Exception {
        JsonNode tunnels = tree("""
                [{"label": "sites", "configured": true, "kind": "ike", "status": "up", "admin": "up",
                  "peer": "192.0.2.3", "ikeSa": "c:d", "sas": [], "since": "2026-12-06T11:00:00Z",
                  "ikeSas": [{"name": "a:b", "peer": "192.0.2.2"}, {"name": "c:d", "peer": "192.0.2.3"}]}]""");
        assertThat(Tunnels.state(tunnels.get(0), "state of sites:"))
                .contains("  IKE SAs       192.0.2.2 a:b; 192.0.2.3 c:d");
        assertThat(Tunnels.sas(tunnels).getFirst()).isEqualTo("sites  ike  up  peer 192.0.2.3  2 IKE SAs");
    }
}
