import { byteLength } from "./transport.js";

/**
 * Request body compression (`Content-Encoding: gzip`) with the platform's CompressionStream.
 *
 * Failure modes: where CompressionStream is missing (old browsers), or for a body of at most
 * `aboveBytes`, returns undefined and the body goes as it is. A server that cannot read gzip answers
 * 415 or 400, which dead-letters the operation with the reply kept: set `compressAboveBytes: false`.
 */
export function gzipAbove(aboveBytes: number): (body: string) => Promise<Blob> | undefined {
  return (body) =>
    byteLength(body) > aboveBytes && typeof CompressionStream === "function"
      ? new Response(new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"))).blob()
      : undefined;
}
