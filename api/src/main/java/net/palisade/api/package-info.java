/**
 * The HTTP/JSON API of one node ({@code docs/api.md}): {@link net.palisade.api.ApiServer} on Pekko HTTP, every
 * route under {@code /v1} behind the bearer token of a {@link net.palisade.api.TokenFile}; configuration edits and
 * commits, tunnel views and admin actions, the journal as JSON and as a live stream, and Prometheus metrics.
 * Errors are RFC 9457 problem documents ({@link net.palisade.api.Problem}); no response carries a secret.
 */
package net.palisade.api;
