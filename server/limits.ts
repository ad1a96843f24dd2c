/** The handler's limits; each defaults to the protocol's (docs/protocol.md). */
import { MAX_BATCH_OPS, MAX_BODY_BYTES, MAX_CHANGES_LIMIT } from "./protocol.js";

export type Limits = {
  /** Request bodies, after inflation, and the JSON of any one item (a PATCH's result included). Default 5 MiB. */
  maxBodyBytes: number;
  /** Ops in one `_batch`. Default 500. */
  maxBatchOps: number;
  /** The most changes one `_changes` page holds, whatever `limit` asks. Default 1000. */
  maxChangesPage: number;
};

export const DEFAULT_LIMITS: Limits = { maxBodyBytes: MAX_BODY_BYTES, maxBatchOps: MAX_BATCH_OPS, maxChangesPage: MAX_CHANGES_LIMIT };

export function limitsOf(given: Partial<Limits> = {}): Limits {
  const limits = { ...DEFAULT_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`limits.${name} must be a positive integer, not ${String(value)}`);
  }
  return limits;
}
