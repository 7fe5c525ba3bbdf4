package net.palisade.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.palisade.controlplane.cluster.ClusterView;
import net.palisade.controlplane.cluster.HaEvent;

/** The JSON of {@code GET /v1/cluster} and {@code GET /v1/cluster/events} (docs/api.md): plain maps, no domain types. */
final class ClusterJson {
    private ClusterJson() {}

    static Map<String, Object> view(ClusterView v) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("self", v.self());
        out.put("role", v.role());
        out.put("active", v.leaseHolder().orElse(null));
        Map<String, Object> lease = new LinkedHashMap<>();
        lease.put("holder", v.leaseHolder().orElse(null));
        lease.put("epoch", v.leaseEpoch());
        lease.put("expires", v.leaseExpires().map(Object::toString).orElse(null));
        out.put("lease", lease);
        out.put("members", v.members().stream().map(m -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("address", m.address());
            o.put("status", m.status());
            o.put("reachable", m.reachable());
            o.put("active", m.active());
            return o;
        }).toList());
        return out;
    }

    static List<Map<String, Object>> events(List<HaEvent> events) {
        return events.stream().map(ClusterJson::event).toList();
    }

    static Map<String, Object> event(HaEvent e) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("type", e.type());
        o.put("time", e.time().toString());
        o.put("node", e.node());
        o.put("cause", e.cause().value());
        switch (e) {
            case HaEvent.Active a -> o.put("epoch", a.epoch());
            case HaEvent.Standby s -> o.put("epoch", s.epoch());
            case HaEvent.Takeover t -> {
                o.put("from", t.from());
                o.put("to", t.to());
                o.put("gapMillis", t.gapMillis());
                o.put("epoch", t.epoch());
            }
        }
        return o;
    }
}
