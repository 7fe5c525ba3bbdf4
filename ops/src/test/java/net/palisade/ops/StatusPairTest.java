package net.palisade.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The pair line of {@code palisade status}, from the JSON of {@code GET /v1/cluster} as docs/api.md gives it. */
class StatusPairTest {
    final ObjectMapper json = new ObjectMapper();

    @Test
    void aPairShowsEachNodesRole() throws Exception {
        var cluster = json.readTree("""
                {"self": "10.0.0.2:25520", "role": "standby", "active": "10.0.0.1:25520",
                 "lease": {"holder": "10.0.0.1:25520", "epoch": 3, "expires": "2026-12-06T03:12:02Z"},
                 "members": [
                   {"address": "10.0.0.1:25520", "status": "up", "reachable": true, "active": true},
                   {"address": "10.0.0.2:25520", "status": "up", "reachable": true, "active": false}]}
                """);
        assertThat(StatusCommand.pair(cluster)).contains(
                "pair: 10.0.0.1:25520 active (lease epoch 3), 10.0.0.2:25520 standby (this node)");
    }

    @Test
    void anUnreachableActiveAndNoHolderAreSaid() throws Exception {
        var cluster = json.readTree("""
                {"self": "10.0.0.2:25520", "role": "standby", "active": null,
                 "lease": {"holder": null, "epoch": 3, "expires": null},
                 "members": [
                   {"address": "10.0.0.1:25520", "status": "up", "reachable": false, "active": false},
                   {"address": "10.0.0.2:25520", "status": "up", "reachable": true, "active": false}]}
                """);
        assertThat(StatusCommand.pair(cluster)).contains("pair: 10.0.0.1:25520 standby (unreachable),"
                + " 10.0.0.2:25520 standby (this node), no node holds the active lease");
    }

    @Test
    void aNodeAloneHasNoPairLine() throws Exception {
        assertThat(StatusCommand.pair(json.readTree("{\"role\": \"sole\", \"members\": []}"))).isEmpty();
    }
}
