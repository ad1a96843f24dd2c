/**
 * How a rule says no: a RuleFailure names the request and the reply that broke the rule, so the report can
 * show that exchange. The expectations here are the protocol's shapes (records, error bodies, ETags).
 */
import type { Exchange, Reply } from "./http.js";
import { excerpt } from "./http.js";

/** A rule did not hold; `exchanges` are the requests whose replies showed it. */
export class RuleFailure extends Error {
  override readonly name = "RuleFailure";
  readonly exchanges: Exchange[];

  constructor(message: string, exchanges: Exchange[] = []) {
    super(message);
    this.exchanges = exchanges;
  }
}

/** A rule that does not apply to this server (a feature the protocol makes optional, an option not given). */
export class RuleSkipped extends Error {
  override readonly name = "RuleSkipped";
}

/** A record as the protocol's replies carry it. */
export type WireRecord = { id: string; version: number; updatedAt: string; deleted: boolean; value: Record<string, unknown> | null };

/** Fails the rule with `message` and, when given, the reply that showed it (its request line and body added). */
export function fail(message: string, reply?: Reply): never {
  throw new RuleFailure(reply ? `${message}\n${said(reply)}` : message, reply ? [reply.exchange] : []);
}

/** Ends the rule as not applicable to this server. */
export function skip(reason: string): never {
  throw new RuleSkipped(reason);
}

/** The protocol's error body: a JSON object with a string `error` and a string `message`. */
export function isErrorBody(value: unknown): value is { error: string; message: string } & Record<string, unknown> {
  return isObject(value) && typeof value.error === "string" && typeof value.message === "string";
}

/** Fails the rule with `message` unless `condition` holds. */
export function check(condition: boolean, message: string, reply?: Reply): asserts condition {
  if (!condition) fail(message, reply);
}

/** `PUT /api/todos/a1` (path and query: the report shows the whole URL). */
export function requestLine(reply: Reply | Exchange): string {
  const { method, url } = "exchange" in reply ? reply.exchange.request : reply.request;
  const { pathname, search } = new URL(url);
  return `${method} ${pathname}${search}`;
}

/** "PUT /api/x/a1 answered 200: {…}", for failure messages. */
export function said(reply: Reply): string {
  const body = reply.text === "" ? "(no body)" : excerpt(reply.text.replace(/\s+/g, " "), 240);
  return `${requestLine(reply)} answered ${reply.status}: ${body}`;
}

/** The reply has one of the `expected` statuses; `why` says what the request was, for the message. */
export function expectStatus(reply: Reply, expected: number | readonly number[], why: string): void {
  const allowed = typeof expected === "number" ? [expected] : expected;
  if (!allowed.includes(reply.status)) fail(`expected ${allowed.join(" or ")} (${why}), got ${reply.status}`, reply);
}

/** The protocol's error reply: `status` with `{ error: code, message }`. Returns the body. */
export function expectError(reply: Reply, status: number, code: string, why: string): Record<string, unknown> {
  expectStatus(reply, status, why);
  const body = reply.json;
  if (!isObject(body) || body.error !== code || typeof body.message !== "string") {
    fail(`expected the error body { "error": "${code}", "message": "…" } (${why})`, reply);
  }
  return body;
}

/** A 409 `version_mismatch` whose `current` is `current` (a record, a tombstone, or null). */
export function expectConflict(reply: Reply, current: WireRecord | null, why: string): void {
  const body = expectError(reply, 409, "version_mismatch", why);
  if (!("current" in body)) fail(`the 409 must carry "current" (${why})`, reply);
  if (!sameRecord(body.current, current)) fail(`"current" must be ${show(current)} (${why}), got ${show(body.current)}`, reply);
}

/** A record reply: the protocol's shape, and each of `expected`'s fields. Returns the record. */
export function expectRecord(reply: Reply, expected: Partial<WireRecord>, why: string): WireRecord {
  const record = asRecord(reply.json);
  if (!record) fail(`expected a record { id, version, updatedAt, deleted, value } (${why})`, reply);
  for (const [field, value] of Object.entries(expected)) {
    const actual = (record as Record<string, unknown>)[field];
    if (!jsonEqual(actual, value)) fail(`expected ${field} ${show(value)} (${why}), got ${show(actual)}`, reply);
  }
  return record;
}

/** The reply's ETag is `"<version>"`. */
export function expectEtag(reply: Reply, version: number, why: string): void {
  const etag = reply.headers.get("etag");
  if (etag !== `"${version}"`) fail(`expected the header ETag: "${version}" (${why}), got ${etag === null ? "none" : etag}`, reply);
}

/** The record in `value` when it has the protocol's shape, else null. */
export function asRecord(value: unknown): WireRecord | null {
  if (!isObject(value)) return null;
  const { id, version, updatedAt, deleted } = value;
  const item = value.value;
  const shaped =
    typeof id === "string" &&
    Number.isSafeInteger(version) &&
    typeof updatedAt === "string" &&
    typeof deleted === "boolean" &&
    (deleted ? item === null : isObject(item));
  return shaped ? (value as WireRecord) : null;
}

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const RECORD_FIELDS = ["id", "version", "updatedAt", "deleted", "value"] as const;

/** Whether two values are the same record: the protocol's fields equal (a server may add fields of its own). */
export function sameRecord(a: unknown, b: unknown): boolean {
  if (!isObject(a) || !isObject(b)) return jsonEqual(a, b);
  return RECORD_FIELDS.every((field) => Object.hasOwn(a, field) === Object.hasOwn(b, field) && jsonEqual(a[field], b[field]));
}

/** JSON equality: objects compared by their keys whatever their order (a JSON database may reorder them). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => jsonEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return Object.is(a, b) || (typeof a === "number" && a === b);
}

/** A value as short JSON, for messages. */
export function show(value: unknown): string {
  return value === undefined ? "nothing" : excerpt(JSON.stringify(value), 200);
}

/** Whether a comma-separated header value lists `name`, case-insensitively. */
export function listsToken(value: string | null, name: string): boolean {
  return (value ?? "").split(",").some((token) => token.trim().toLowerCase() === name.toLowerCase());
}
