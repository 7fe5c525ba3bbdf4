package net.palisade.api;

import com.fasterxml.jackson.core.JsonGenerator;
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

    /**
     * Events as {@code GET /v1/events} answers them, written straight into the bytes: the same JSON, byte for byte,
     * as {@link #event} rendered by {@link #mapper()}, without building each event as a tree first. As an array
     * ({@code [ {...}, {...} ]}, a page) or as the elements of one ({@code {...},{...}}, each as it would be written
     * alone: a streamed answer's chunks), then a comma before the first too when {@code more}.
     */
    public byte[] events(java.util.List<JournalEvent> events, boolean array, boolean more) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(256 * Math.max(1, events.size()));
        try {
            if (more && !array && !events.isEmpty()) {
                out.write(',');
            }
            try (JsonGenerator g = (array ? pages : elements).createGenerator(out)) {
                if (array) {
                    g.writeStartArray();
                }
                for (JournalEvent e : events) {
                    writeEvent(g, e);
                }
                if (array) {
                    g.writeEndArray();
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot write events as JSON", e);
        }
        return out.toByteArray();
    }

    /** Writes pages: the mapper's indentation. */
    private final com.fasterxml.jackson.databind.ObjectWriter pages = json.writer();
    /** Writes a stream's elements: each as alone, separated by commas (the root separator). */
    private final com.fasterxml.jackson.databind.ObjectWriter elements = json.writer(
            ((com.fasterxml.jackson.core.util.DefaultPrettyPrinter) json.getSerializationConfig()
                    .getDefaultPrettyPrinter()).withRootSeparator(","));

    /** {@code {"offset": ..., "sequenceNr": ..., <the event's fields>}}, as {@link #event} has them. */
    private void writeEvent(JsonGenerator g, JournalEvent e) throws java.io.IOException {
        g.writeStartObject();
        g.writeNumberField("offset", e.offset());
        g.writeNumberField("sequenceNr", e.sequenceNr());
        json.writeValue(new Unwrapped(g), e.event());
        g.writeEndObject();
    }

    /** Passes a value's fields into the object being written: its own outermost braces left out. */
    private static final class Unwrapped extends com.fasterxml.jackson.core.util.JsonGeneratorDelegate {
        private int depth;

        Unwrapped(JsonGenerator g) {
            super(g, false);
        }

        @Override
        public void writeStartObject() throws java.io.IOException {
            if (depth++ > 0) {
                super.writeStartObject();
            }
        }

        @Override
        public void writeStartObject(Object forValue) throws java.io.IOException {
            if (depth++ > 0) {
                super.writeStartObject(forValue);
            }
        }

        @Override
        public void writeStartObject(Object forValue, int size) throws java.io.IOException {
            if (depth++ > 0) {
                super.writeStartObject(forValue, size);
            }
        }

        @Override
        public void writeEndObject() throws java.io.IOException {
            if (--depth > 0) {
                super.writeEndObject();
            }
        }

        @Override
        public void writeStartArray() throws java.io.IOException {
            depth++;
            super.writeStartArray();
        }

        @Override
        public void writeStartArray(Object forValue) throws java.io.IOException {
            depth++;
            super.writeStartArray(forValue);
        }

        @Override
        public void writeStartArray(Object forValue, int size) throws java.io.IOException {
            depth++;
            super.writeStartArray(forValue, size);
        }

        @Override
        public void writeEndArray() throws java.io.IOException {
            depth--;
            super.writeEndArray();
        }

        /** For each type prefix written and not yet closed: whether it was the outermost value's. */
        private final java.util.ArrayDeque<Boolean> typed = new java.util.ArrayDeque<>();

        @Override
        public com.fasterxml.jackson.core.type.WritableTypeId writeTypePrefix(
                com.fasterxml.jackson.core.type.WritableTypeId typeId) throws java.io.IOException {
            if (depth > 0) { // a nested value's: written as it would be (its braces balance themselves)
                typed.push(false);
                return delegate.writeTypePrefix(typeId);
            }
            if (typeId.valueShape != com.fasterxml.jackson.core.JsonToken.START_OBJECT
                    || typeId.include != com.fasterxml.jackson.core.type.WritableTypeId.Inclusion.METADATA_PROPERTY) {
                throw new IllegalStateException("an event's type must be a property of its object, found "
                        + typeId.include);
            }
            typed.push(true);
            typeId.wrapperWritten = false;
            writeStartObject(typeId.forValue);
            writeStringField(typeId.asProperty, String.valueOf(typeId.id));
            return typeId;
        }

        @Override
        public com.fasterxml.jackson.core.type.WritableTypeId writeTypeSuffix(
                com.fasterxml.jackson.core.type.WritableTypeId typeId) throws java.io.IOException {
            if (!typed.pop()) {
                return delegate.writeTypeSuffix(typeId);
            }
            writeEndObject();
            return typeId;
        }

        @Override
        public void close() { // the generator goes on with the next field; its owner closes it
        }

        @Override
        public void flush() {
        }
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
