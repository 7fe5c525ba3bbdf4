/**
 * Anti-replay for ESP (RFC 4303 Section 3.4.3 and Appendix A, RFC 6479): the receiver's sliding window with
 * extended-sequence-number inference, and the sender's sequence counter that refuses to wrap.
 */
package net.palisade.dataplane.replay;
