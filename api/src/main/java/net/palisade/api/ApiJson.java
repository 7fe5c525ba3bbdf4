package net.palisade.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.time.Instant;
import java.util.Optional;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.tunnel.TunnelView;
import net.palisade.dataplane.TunnelCounters;
import net.palisade.model.config.ConfigJson;

/**
 * The JSON form of journal events and tunnel views: what the API serves, and what {@code palisade replay --data}
 * prints offline, so that {@code --json} output is the same online and offline. Secrets come out as
 * {@code "[redacted]"} (the model's JSON never writes them).
 */
public final class ApiJson {
    private final ObjectMapper json = ConfigJson.newMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS).enable(SerializationFeature.INDENT_OUTPUT);

    public ObjectMapper mapper() {
        return json;
    }

    /** As {@code GET /v1/tunnels/{label}/events} shows one event. */
    public ObjectNode event(JournalEvent e) {
        ObjectNode o = json.createObjectNode();
        o.put("offset", e.offset());
        o.put("sequenceNr", e.sequenceNr());
        o.setAll((ObjectNode) json.valueToTree(e.event()));
        return o;
    }

    /** A node timeline event as {@code GET /v1/cluster/events} shows it. */
    public ObjectNode haEvent(net.palisade.controlplane.cluster.HaEvent e) {
        return json.valueToTree(ClusterJson.event(e));
    }

    /** A tunnel as {@code GET /v1/tunnels/{label}} shows it, without dataplane counters. */
    public ObjectNode view(TunnelView v) {
        return view(v, Optional.empty());
    }

    /** A tunnel as {@code GET /v1/tunnels/{label}} shows it, with this node's dataplane counters if it has them. */
    public ObjectNode view(TunnelView v, Optional<TunnelCounters> counters) {
        ObjectNode o = json.createObjectNode();
        o.put("label", v.label());
        o.put("configured", v.configured());
        v.kind().ifPresent(k -> o.put("kind", k));
        o.set("status", json.valueToTree(v.status()));
        o.set("admin", json.valueToTree(v.admin()));
        o.put("peer", v.peer().orElse(null));
        o.put("ikeSa", v.ikeSa().orElse(null));
        o.set("sas", json.valueToTree(v.sas()));
        if (v.ikeSas().size() > 1) { // an any-peer tunnel's IKE SAs, one per peer
            o.set("ikeSas", json.valueToTree(v.ikeSas()));
        }
        o.put("since", v.since().map(Instant::toString).orElse(null));
        o.put("lastFailure", v.lastFailure().orElse(null));
        v.reachability().ifPresent(r -> o.put("reachability", r));
        o.put("spec", v.spec().orElse(null));
        v.specJson().ifPresent(s -> {
            try {
                o.set("config", json.readTree(s));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("tunnel view JSON", e);
            }
        });
        counters.ifPresent(t -> o.set("counters", json.valueToTree(t)));
        return o;
    }
}
