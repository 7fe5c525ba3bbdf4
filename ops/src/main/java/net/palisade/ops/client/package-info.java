/**
 * The CLI's client side of the HTTP API: {@link net.palisade.ops.client.ApiClient} (token, caller, failures as
 * readable {@link net.palisade.ops.client.CliFailure}s), the {@code configure} session script, and the tables and
 * timelines the commands print.
 */
package net.palisade.ops.client;
