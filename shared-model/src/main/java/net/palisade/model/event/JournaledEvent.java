package net.palisade.model.event;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Instant;

/**
 * The header every journaled event carries, whichever journal it is in (a tunnel's, the config store's, a node's):
 * when it happened, on which node, and why. Readers of the history (offline replay, the API's event views, the
 * client's timeline) read it through this one type; the JSON/CBOR form names the event in {@code "type"}.
 */
public interface JournaledEvent extends CborSerializable {
    /** When it happened (the recording node's clock). */
    Instant time();

    /** The node that recorded it (its cluster address or configured name). */
    String node();

    /** Who or what triggered it. */
    Cause cause();

    /** The wire name of this event, e.g. {@code phase1-up}: its {@link JsonTypeName}. */
    @JsonIgnore
    default String type() {
        return getClass().getAnnotation(JsonTypeName.class).value();
    }
}
