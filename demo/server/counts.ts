/** Per-opId counts of applied and replayed writes, for tests and /_admin/stats: anything applied twice is a bug. */
import type { WriteEvent } from "../../server/handler";
import { IDEMPOTENCY_TTL_MS } from "../../server/protocol";

export type WriteCounts = {
  record(event: WriteEvent): void;
  /** How many times the op was applied; anything above 1 is a bug. 0 once its key is older than the store keeps keys. */
  applied(collection: string, opId: string): number;
  /** How many times the op's stored reply was served again. */
  replayed(collection: string, opId: string): number;
  /** Every replay since the server started. */
  replays(): number;
};

export function writeCounts(now: () => number = Date.now): WriteCounts {
  // Kept as long as the store keeps the key, or they would grow for as long as the server runs.
  const counts = new Map<string, { applied: number; replayed: number; at: number }>();
  let replays = 0;
  let prunedAt = now();
  const key = (scope: string, collection: string, opId: string) => `${scope}\u0000${collection}\u0000${opId}`;
  const prune = () => {
    if (now() - prunedAt < 60 * 60 * 1000) return;
    prunedAt = now();
    for (const [name, entry] of counts) if (entry.at < prunedAt - IDEMPOTENCY_TTL_MS) counts.delete(name);
  };
  return {
    record(event) {
      prune();
      if (event.replayed) replays += 1;
      if (!event.replayed && event.status >= 300) return;
      const name = key(event.scope, event.collection, event.write.opId);
      const entry = counts.get(name) ?? { applied: 0, replayed: 0, at: now() };
      if (event.replayed) entry.replayed += 1;
      else entry.applied += 1;
      counts.set(name, entry);
    },
    applied: (collection, opId) => counts.get(key("", collection, opId))?.applied ?? 0,
    replayed: (collection, opId) => counts.get(key("", collection, opId))?.replayed ?? 0,
    replays: () => replays,
  };
}
