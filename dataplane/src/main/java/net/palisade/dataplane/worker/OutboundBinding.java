package net.palisade.dataplane.worker;

import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.io.RawEspSocket;
import net.palisade.dataplane.sa.OutboundSa;

/**
 * An outbound SA as one worker sees it: the shared SA, this worker's own transform for it, and the socket the
 * worker sends it with (an index into its UDP endpoints, or the raw ESP socket).
 */
record OutboundBinding(OutboundSa sa, EspTransform transform, int udpEndpoint, RawEspSocket raw) {
}
