/**
 * What a rule works with: the run's settings, the server's optional features as probed, ids and keys of its
 * own (a run prefix and the rule's number: rules never see each other's data), and the protocol's requests.
 */
import type { WireRecord } from "./check.js";
import { check, expectRecord, expectStatus, fail, isObject } from "./check.js";
import type { Exchange, Http, Reply, RequestOptions } from "./http.js";

export type RunSettings = {
  /** The base URL the collections are under, without a trailing "/". */
  baseUrl: string;
  collection: string;
  /** `${baseUrl}/${collection}` */
  endpoint: string;
  /** The collection was made up for this run (no --collection): nothing else writes to it. */
  freshCollection: boolean;
  token: string | undefined;
  /** Starts every id and key of the run. */
  prefix: string;
};

/** The protocol's optional parts: true until a probe finds the server answers them with a fallback status. */
export type Features = { batch: boolean; patch: boolean; changes: boolean };

export type Feature = keyof Features;

/** What the whole run saw of error replies, for the rule that every one has the protocol's body. */
export type ErrorJournal = { count: number; malformedCount: number; /** The first few. */ malformed: Exchange[] };

export type RuleContext = {
  settings: RunSettings;
  features: Features;
  errors: ErrorJournal;
  http: Http;
  /** An id of this rule's own. */
  id(name: string): string;
  /** A new Idempotency-Key of this rule's own. */
  key(): string;
};

export type Rule = {
  group: string;
  rule: string;
  /** Skipped when the server does not implement this part of the protocol. */
  needs?: Feature;
  run(context: RuleContext): Promise<string | void>;
};

export type Preconditions = { ifMatch?: number; create?: boolean };

/** The path segment of an id: URL-encoded, a leading "_" escaped so it cannot name a route (`%5Fbatch`). */
export function idSegment(id: string): string {
  const encoded = encodeURIComponent(id);
  return encoded.startsWith("_") ? `%5F${encoded.slice(1)}` : encoded;
}

/** `{endpoint}/{id}`, the id as a path segment. */
export function itemUrl(context: RuleContext, id: string): string {
  return `${context.settings.endpoint}/${idSegment(id)}`;
}

/** A per-item write as the SDK sends it; a new key unless `key` is given. */
export function write(
  context: RuleContext,
  method: "PUT" | "PATCH" | "DELETE",
  id: string,
  preconditions: Preconditions = {},
  body?: unknown,
  options: { key?: string | null; headers?: Record<string, string> } & Pick<RequestOptions, "describeBody"> = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? context.key() : options.key;
  if (key !== null) headers["Idempotency-Key"] = key;
  if (preconditions.create) headers["If-None-Match"] = "*";
  if (preconditions.ifMatch !== undefined) headers["If-Match"] = `"${preconditions.ifMatch}"`;
  if (method === "PATCH") headers["Content-Type"] = "application/merge-patch+json";
  Object.assign(headers, options.headers);
  const request: RequestOptions = { headers, ...(body !== undefined && { body }) };
  if (options.describeBody !== undefined) request.describeBody = options.describeBody;
  return context.http(method, itemUrl(context, id), request);
}

/** `PUT {endpoint}/{id}` with the item; a new key unless `key` is given. */
export const put = (context: RuleContext, id: string, preconditions: Preconditions, body: unknown, key?: string) =>
  write(context, "PUT", id, preconditions, body, key === undefined ? {} : { key });

/** `PATCH {endpoint}/{id}` with a merge patch, `If-Match` when `ifMatch` is given. */
export const patch = (context: RuleContext, id: string, ifMatch: number | undefined, body: unknown, key?: string) =>
  write(context, "PATCH", id, ifMatch === undefined ? {} : { ifMatch }, body, key === undefined ? {} : { key });

/** `DELETE {endpoint}/{id}`. */
export const remove = (context: RuleContext, id: string, preconditions: Preconditions = {}, key?: string) =>
  write(context, "DELETE", id, preconditions, undefined, key === undefined ? {} : { key });

/** `GET {endpoint}/{id}`. */
export const get = (context: RuleContext, id: string) => context.http("GET", itemUrl(context, id));

/** Creates `item` (If-None-Match: *), which must succeed with 201 at version 1. */
export async function create(context: RuleContext, item: { id: string } & Record<string, unknown>): Promise<WireRecord> {
  const reply = await put(context, item.id, { create: true }, item);
  expectStatus(reply, 201, "setting up: creating a new item");
  return expectRecord(reply, { id: item.id, version: 1, deleted: false }, "setting up: creating a new item");
}

/** Overwrites the live record at `version` with `item` (If-Match), which must succeed with the next version. */
export async function update(context: RuleContext, id: string, version: number, item: Record<string, unknown>): Promise<WireRecord> {
  const reply = await put(context, id, { ifMatch: version }, item);
  expectStatus(reply, 200, "setting up: an update with If-Match of the current version");
  return expectRecord(reply, { id, version: version + 1, deleted: false }, "setting up: an update");
}

/** Deletes the live record at `version`, which must succeed with the tombstone. */
export async function destroy(context: RuleContext, id: string, version: number): Promise<WireRecord> {
  const reply = await remove(context, id, { ifMatch: version });
  expectStatus(reply, 200, "setting up: deleting an item at its version");
  return expectRecord(reply, { id, version: version + 1, deleted: true, value: null }, "setting up: deleting an item");
}

/** GET of `id` must answer the record at `version` (or 404 when `version` is null): what a refused write left. */
export async function expectStored(context: RuleContext, id: string, version: number | null, why: string): Promise<Reply> {
  const reply = await get(context, id);
  if (version === null) {
    if (reply.status !== 404) fail(`expected 404: ${why}`, reply);
    return reply;
  }
  expectStatus(reply, 200, why);
  expectRecord(reply, { id, version }, why);
  return reply;
}

/** `POST {endpoint}/_batch` with `body` (`{ ops }`, or anything else a rule sends to be refused). */
export function batch(context: RuleContext, body: unknown): Promise<Reply> {
  return context.http("POST", `${context.settings.endpoint}/_batch`, { body });
}

export type BatchResult = { opId: string; status: number; body: unknown };

/** A batch's 200 reply, with one result per op; fails the rule otherwise. */
export function batchResults(reply: Reply, ops: number, why: string): BatchResult[] {
  expectStatus(reply, 200, why);
  const results = isObject(reply.json) ? reply.json.results : undefined;
  check(Array.isArray(results), `expected { "results": [...] } (${why})`, reply);
  check(results.length === ops, `expected ${ops} results, one per op (${why}), got ${results.length}`, reply);
  for (const [index, result] of results.entries()) {
    const shaped = isObject(result) && typeof result.opId === "string" && Number.isInteger(result.status) && "body" in result;
    check(shaped, `results[${index}] must be { opId, status, body } (${why})`, reply);
  }
  return results as BatchResult[];
}

export type Change = WireRecord & { seq: number };
export type ChangesPage = { changes: Change[]; cursor: string; hasMore: boolean };

/** GET `_changes` (since null: from the start) and the page, checked for its shape. */
export async function changes(context: RuleContext, since: string | null, limit: number): Promise<{ page: ChangesPage; reply: Reply }> {
  const query = new URLSearchParams({ ...(since !== null && { since }), limit: String(limit) });
  const reply = await context.http("GET", `${context.settings.endpoint}/_changes?${query}`);
  expectStatus(reply, 200, "a pull of the change feed");
  const page = reply.json;
  const shaped = isObject(page) && Array.isArray(page.changes) && typeof page.cursor === "string" && page.cursor !== "" && typeof page.hasMore === "boolean";
  if (!shaped) fail('expected { "changes": [...], "cursor": "<non-empty>", "hasMore": true|false }', reply);
  const { changes: list } = page as ChangesPage;
  for (const [index, change] of (list as unknown[]).entries()) {
    check(isObject(change) && Number.isFinite(change.seq) && typeof change.id === "string", `changes[${index}] must be a record with a numeric seq`, reply);
  }
  const checked = page as ChangesPage;
  check(list.length <= limit, `a page holds at most limit=${limit} changes, got ${list.length}`, reply);
  check(!(checked.hasMore && list.length === 0), "a page with hasMore: true must hold changes (a client would ask forever)", reply);
  return { page: checked, reply };
}

/** The feed's current end: pages through what is already there (a fixed collection may hold much). */
export async function feedEnd(context: RuleContext): Promise<string> {
  let since: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const { page } = await changes(context, since, 1000);
    since = page.cursor;
    if (!page.hasMore) return since;
  }
  return fail("the change feed did not end after 10,000 pages of 1000");
}

/** The changes of this rule's own ids (`mine`), in order: the feed of a fixed collection may hold others'. */
export function own(page: ChangesPage, mine: (id: string) => boolean): Change[] {
  return page.changes.filter((change) => mine(change.id));
}
