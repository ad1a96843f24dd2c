/** The handler's errors, each one reply of the protocol's error shape. */
import type { ErrorCode } from "./protocol.js";
import { errorBody } from "./protocol.js";

export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly status: number;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;

  constructor(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const badRequest = (message: string) => new HttpError(400, "bad_request", message);
export const notFound = () => new HttpError(404, "not_found", "no such resource");
export const methodNotAllowed = (allow: string) => new HttpError(405, "method_not_allowed", `use ${allow}`, { Allow: allow });

export function jsonResponse(status: number, json: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(json), { status, headers: { "Content-Type": "application/json; charset=utf-8", ...headers } });
}

export function errorResponse(error: HttpError): Response {
  return jsonResponse(error.status, errorBody(error.code, error.message), error.headers);
}
