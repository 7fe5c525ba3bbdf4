package net.palisade.dataplane.worker;

import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.sa.InboundSa;

/** An inbound SA as one worker sees it: the shared SA and this worker's own transform for it. */
record InboundBinding(InboundSa sa, EspTransform transform) {
}
