/**
 * `synclens/transports`: transports to pass as the client's `transport` option (docs/backends.md):
 * {@link restTransport} for a conventional REST backend, and {@link httpTransport}, the protocol's own, to wrap.
 * Their own entry, so apps that use neither do not ship them.
 * @packageDocumentation
 */
export { restTransport, type RestTransportOptions, type RestVersion } from "./transport/rest.js";
export { httpTransport, type HttpTransportOptions } from "./transport/http.js";
