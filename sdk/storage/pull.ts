import { equal, type Conflict } from "../sync/conflicts.js";
import type { SendOutcome } from "../sync/classify.js";
import { guard, synced, tombstone, type SyncStore } from "./store.js";
import { BATCH_UNSUPPORTED, httpOutcome, isRecord, malformed, type HttpTransport } from "../transport/transport.js";
import type { SyncItem } from "../shared/types.js";

/**
 * Pulling the server's change feed (`GET {endpoint}/_changes`, see docs/protocol.md): one page at a time
 * from a cursor stored with the data it covers.
 *
 * Failure modes: a server without the feed (404/405/501) answers `unsupported`; a reply of the wrong
 * shape is `malformed`; network faults and HTTP errors come back as outcomes, never thrown. Applying a
 * page rejects with `StorageError` and then leaves neither the page nor the cursor stored.
 */

/** A change read from the server's feed. */
export interface PulledChange {
  id: string;
  version: number;
  deleted: boolean;
  value: SyncItem | null;
  updatedAt: string;
}

/** What a pull of one page of the change feed came to. */
export type PullOutcome =
  | { kind: "page"; changes: PulledChange[]; cursor: string; hasMore: boolean }
  | { kind: "unsupported" }
  /** The server no longer knows the cursor (its database was reset or replaced): pull from the start. */
  | { kind: "expired" }
  | Exclude<SendOutcome, { kind: "ok" }>;

/** Reads one page of the change feed after `cursor`. Throws only when `signal` aborts. */
export async function fetchChanges(
  transport: HttpTransport,
  endpoint: string,
  { cursor, limit, timeoutMs }: { cursor: string | null; limit: number; timeoutMs: number },
  signal: AbortSignal,
): Promise<PullOutcome> {
  const query = `since=${encodeURIComponent(cursor ?? "0")}&limit=${limit}`;
  const reply = await transport.request(`${endpoint}/_changes?${query}`, { method: "GET", headers: await transport.resolveHeaders(signal), cache: "no-store" }, signal, timeoutMs);
  if (reply.kind !== "reply") return reply.outcome;
  if (BATCH_UNSUPPORTED.has(reply.status)) return { kind: "unsupported" };
  if (reply.status === 410 && cursor !== null) return { kind: "expired" };
  if (reply.status !== 200) return httpOutcome(reply.status, reply.body, reply.retryAfterMs) as PullOutcome;
  return parseChangesPage(reply.body) ?? (malformed(200, "The change feed reply is not { changes, cursor, hasMore }", reply.body) as PullOutcome);
}

/** Checks a feed page's shape: every change names its item, version and time, and carries the item unless deleted. */
export function parseChangesPage(payload: unknown): { kind: "page"; changes: PulledChange[]; cursor: string; hasMore: boolean } | undefined {
  if (!isRecord(payload) || !Array.isArray(payload["changes"]) || typeof payload["cursor"] !== "string" || typeof payload["hasMore"] !== "boolean") return undefined;
  const changes: PulledChange[] = [];
  for (const change of payload["changes"] as unknown[]) {
    if (!isRecord(change) || typeof change["id"] !== "string" || !Number.isInteger(change["version"]) || typeof change["updatedAt"] !== "string") return undefined;
    const deleted = change["deleted"] === true;
    const value = change["value"];
    if (!deleted && (!isRecord(value) || value["id"] !== change["id"])) return undefined;
    changes.push({ id: change["id"], version: change["version"] as number, deleted, value: deleted ? null : (value as unknown as SyncItem), updatedAt: change["updatedAt"] });
  }
  return { kind: "page", changes, cursor: payload["cursor"], hasMore: payload["hasMore"] };
}

/**
 * The server's change-feed cursor, as last stored with the data it covers; `rebase` while a pull from the
 * start after `expired` is not finished (it goes on in rebase mode after a failure or a reload).
 */
export async function pullCursor(store: SyncStore): Promise<{ cursor: string | null; rebase: boolean }> {
  return guard("read the pull cursor", async () => {
    const stored = await store.db.get("meta", "pullCursor");
    return { cursor: (stored?.["cursor"] as string | undefined) ?? null, rebase: stored?.["rebase"] === true };
  });
}

/**
 * Applies one page of pulled changes and moves the cursor past it, in one transaction: a crash leaves
 * either the whole page applied with the cursor after it, or neither. A change to an item with pending
 * operations, a dead letter, or one already in conflict is parked as a conflict instead of overwriting local work;
 * a change the client already has, or its own sent write coming back, is skipped.
 */
export async function applyPull(
  store: SyncStore,
  changes: readonly PulledChange[],
  cursor: string,
  now: number,
  clockOffsetMs: number,
  /**
   * Pulling from the start after `expired`: the server's versions may have started over, so a lower one
   * is news too. `"more"`: pages follow, so the mode is stored with the cursor.
   */
  rebase: boolean | "more" = false,
): Promise<{ applied: PulledChange[]; conflicts: Conflict[] }> {
  return guard("apply pulled changes", async () => {
    const tx = store.db.transaction(store.withIntents(["items", "versions", "outbox", "deadLetters", "conflicts", "meta"]), "readwrite");
    const [items, versions, conflicts] = [tx.objectStore("items"), tx.objectStore("versions"), tx.objectStore("conflicts")];
    const byItem = tx.objectStore("outbox").index("itemId");
    const result: { applied: PulledChange[]; conflicts: Conflict[] } = { applied: [], conflicts: [] };
    const writes: Promise<unknown>[] = [];
    // Read in rounds, each only for what is still undecided: after a push, most changes are the
    // client's own writes, settled by the version alone, and the outbox index is never touched.
    const known = await Promise.all(changes.map((change) => Promise.all([versions.get(change.id), conflicts.get(change.id)])));
    const fresh = changes.flatMap((change, index) => {
      const [version, parked] = known[index]!;
      const current = version && (rebase ? version.version === change.version && equal(version.value ?? null, change.value) : version.version >= change.version);
      return current || (parked && parked.serverVersion >= change.version) ? [] : [{ change, parked, version }];
    });
    // Only the first pending op can have reached the server. A dead letter holds local work as a pending op does.
    const letters = tx.objectStore("deadLetters").index("itemId");
    const newest = (id: string) => letters.openCursor(IDBKeyRange.only(id), "prev").then((cursor) => cursor?.value);
    const heads = await Promise.all(fresh.map(({ change }) => Promise.all([byItem.get(change.id), newest(change.id)])));
    const contested = fresh.flatMap(({ change, parked, version }, index) => {
      const [head, letter] = heads[index]!;
      if (!head && !parked && !letter) {
        writes.push(store.putItem(tx, change.id, change.value));
        store.hint(change.id, { known: !change.deleted });
        writes.push(versions.put(change.deleted ? tombstone(change.id, change.version) : synced(change.id, change.version, change.value ?? undefined, change.updatedAt)));
        result.applied.push(change);
        return [];
      }
      // Our own write, applied but its reply lost (a retry replays it; a dead letter's retry would too).
      const sent = head ?? letter;
      if (sent && sent.attempts > 0 && (sent.type === "delete" ? change.deleted : equal(sent.value, change.value))) return [];
      return [{ change, parked, base: version, letter }];
    });
    const locals = await Promise.all(contested.map(({ change }) => Promise.all([items.get(change.id), byItem.openCursor(IDBKeyRange.only(change.id), "prev")])));
    contested.forEach(({ change, parked, base, letter }, index) => {
      const [local, lastOp] = locals[index]!;
      // The newest local edit, on the server's clock (a parked conflict's time is already on it).
      const localEdit = lastOp?.value.updatedAt ?? letter?.updatedAt;
      const conflict: Conflict = {
        id: change.id,
        local: local ?? null,
        server: change.deleted ? null : change.value,
        base: parked ? parked.base : base?.value ?? null,
        serverVersion: change.version,
        serverUpdatedAt: change.updatedAt,
        localUpdatedAt: localEdit !== undefined ? localEdit + clockOffsetMs : parked ? parked.localUpdatedAt : now + clockOffsetMs,
        detectedAt: now,
      };
      writes.push(conflicts.put(conflict));
      result.conflicts.push(conflict);
    });
    writes.push(tx.objectStore("meta").put({ key: "pullCursor", cursor, ...(rebase === "more" ? { rebase: true } : {}) }));
    await Promise.all([...writes, tx.done]);
    return result;
  });
}

/**
 * A backend's whole collection (a listing, without versions) as changes against what the client last synced:
 * a new or changed item is a change one version past the synced one, a synced item missing from it a delete.
 * Items never synced (local work not yet pushed) are left alone.
 */
export async function snapshotChanges(store: SyncStore, items: readonly SyncItem[], now: number): Promise<PulledChange[]> {
  return guard("read the synced versions", async () => {
    const synced = await store.db.getAll("versions");
    const known = new Map(synced.map((version) => [version.id, version]));
    const updatedAt = new Date(now).toISOString();
    const listed = new Set<string>();
    const changes: PulledChange[] = [];
    for (const item of items) {
      listed.add(item.id);
      const version = known.get(item.id);
      if (version && !version.deleted && equal(version.value ?? null, item)) continue;
      changes.push({ id: item.id, version: (version?.version ?? 0) + 1, deleted: false, value: item, updatedAt });
    }
    for (const version of synced) {
      if (!version.deleted && !listed.has(version.id)) changes.push({ id: version.id, version: version.version + 1, deleted: true, value: null, updatedAt });
    }
    return changes;
  });
}
