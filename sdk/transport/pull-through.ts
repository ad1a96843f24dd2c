/** Pulls through an app's transport, checked as the protocol's pages are (the full client only). */
import { parseChangesPage, type PullOutcome } from "../storage/pull.js";
import type { SyncItem } from "../shared/types.js";
import { sendOutcomeOf } from "./outcomes.js";
import { isRecord } from "./transport.js";
import type { SyncTransport } from "./seam.js";

/** One page of an app transport's `pull`, checked as the protocol's pages are. Throws only when `signal` aborts. */
/** What a pull through an app's transport came to: a page, as the protocol's, or the whole collection. */
export type TransportPull = PullOutcome | { kind: "snapshot"; items: SyncItem[] };

export async function pullThrough<T extends SyncItem>(transport: SyncTransport<T>, cursor: string | null, limit: number, signal: AbortSignal): Promise<TransportPull> {
  if (!transport.pull) return { kind: "unsupported" };
  let answer: unknown;
  try {
    answer = await transport.pull(cursor, { signal, limit });
  } catch (error) {
    signal.throwIfAborted();
    return { kind: "http", status: 503, body: { error: "transport_failed", message: `The transport's pull threw: ${error instanceof Error ? error.message : String(error)}` } };
  }
  if (isRecord(answer) && (answer["kind"] === "expired" || answer["kind"] === "unsupported")) return { kind: answer["kind"] };
  if (isRecord(answer) && answer["kind"] === "snapshot") {
    const items = answer["items"];
    if (Array.isArray(items) && items.every((item) => isRecord(item) && typeof item["id"] === "string")) return { kind: "snapshot", items: items as SyncItem[] };
    return { kind: "malformed", status: 0, message: "The transport's snapshot needs items: objects with a string id", body: answer };
  }
  if (isRecord(answer) && answer["kind"] === "page") {
    const changes = Array.isArray(answer["changes"]) ? answer["changes"].map((change: unknown) => (isRecord(change) ? { ...change, updatedAt: typeof change["updatedAt"] === "string" ? change["updatedAt"] : new Date(0).toISOString() } : change)) : answer["changes"];
    return parseChangesPage({ ...answer, changes }) ?? { kind: "malformed", status: 0, message: "The transport's pull answered a page that is not { changes, cursor, hasMore }", body: answer };
  }
  const failed = sendOutcomeOf(answer, { opId: "", type: "save", id: "" }, undefined);
  return failed.kind === "ok" ? { kind: "malformed", status: 0, message: "The transport's pull answered something that is not a page", body: answer } : failed;
}
