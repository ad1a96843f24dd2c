/**
 * `synclens/rest`: {@link restTransport}, the outbox over a conventional REST backend (docs/backends.md).
 * Its own entry, so apps that speak the protocol do not ship it.
 * @packageDocumentation
 */
export { restTransport, type RestTransportOptions, type RestVersion } from "./transport/rest.js";
