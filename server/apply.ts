/** Applies writes to a store by the protocol's rules: each opId at most once, versions by compare-and-set. */
import type { ErrorBody, SyncRecord } from "./protocol.js";
import { MAX_BODY_BYTES, errorBody } from "./protocol.js";
import type { WriteReply, WriteRequest } from "./rules.js";
import { decideWrite, fingerprintOf, validateWrite } from "./rules.js";
import type { StoredReply, SyncStore } from "./store.js";
import { WriteRacedError } from "./store.js";

/** A write and what came of it; `changed`: the record took a new version (a replay or an error changes nothing). */
export type AppliedWrite = { write: WriteRequest; reply: WriteReply; changed: boolean };

export type ApplyOptions = { now?: () => Date; maxItemBytes?: number };

/**
 * Applies `writes` to one feed in one transaction: a failing database leaves none of them applied. Their ids
 * and opIds must be distinct (a batch's are), so each write's record and key are read once, up front. An
 * invalid write gets its 400 and does not keep the others from being applied.
 */
export async function applyWrites(
  store: SyncStore,
  scope: string,
  collection: string,
  writes: WriteRequest[],
  options: ApplyOptions = {},
): Promise<AppliedWrite[]> {
  const now = options.now ?? (() => new Date());
  type Checked = { write: WriteRequest; invalid: ErrorBody } | { write: WriteRequest; fingerprint: string };
  const checked = await Promise.all(
    writes.map(async (write): Promise<Checked> => {
      const invalid = validateWrite(write);
      return invalid ? { write, invalid } : { write, fingerprint: await fingerprintOf(write) };
    }),
  );
  const valid = checked.flatMap((entry) => ("fingerprint" in entry ? [entry] : []));
  const settled = new Map<WriteRequest, AppliedWrite>();
  if (valid.length > 0) {
    const results = await store.transact(scope, collection, async (tx) => {
      const updatedAt = now().toISOString();
      const stored = await tx.storedReplies(valid.map(({ write }) => write.opId));
      const current = await tx.records(valid.filter(({ write }) => !stored.has(write.opId)).map(({ write }) => write.id));
      const results: AppliedWrite[] = [];
      const changes: SyncRecord[] = [];
      const replies: Array<{ opId: string; reply: StoredReply }> = [];
      for (const { write, fingerprint } of valid) {
        const earlier = stored.get(write.opId);
        if (earlier) {
          const reused = errorBody("idempotency_key_reused", `Idempotency-Key "${write.opId}" was already used for a different request`);
          const reply = earlier.fingerprint === fingerprint ? { status: earlier.status, body: earlier.body, replayed: true } : { status: 422, body: reused, replayed: false };
          results.push({ write, reply, changed: false });
          continue;
        }
        const decision = decideWrite(current.get(write.id) ?? null, write, updatedAt, options.maxItemBytes ?? MAX_BODY_BYTES);
        if ("error" in decision) {
          results.push({ write, reply: { status: decision.status, body: decision.error, replayed: false }, changed: false });
          continue;
        }
        if (decision.changed) changes.push(decision.record);
        replies.push({ opId: write.opId, reply: { fingerprint, status: decision.status, body: decision.record } });
        results.push({ write, reply: { status: decision.status, body: decision.record, replayed: false }, changed: decision.changed });
      }
      if (changes.length > 0 && !(await tx.putRecords(changes))) throw new WriteRacedError("a version moved while the batch was written");
      if (replies.length > 0) await tx.saveReplies(replies);
      return results;
    });
    for (const result of results) settled.set(result.write, result);
  }
  return checked.map((entry) =>
    "invalid" in entry
      ? { write: entry.write, reply: { status: 400, body: entry.invalid, replayed: false }, changed: false }
      : settled.get(entry.write)!,
  );
}
