import type { OperationType } from "../shared/types.js";

/** The newest pending operation of an item, as far as coalescing cares. */
export interface CoalesceTarget {
  type: OperationType;
  /** Sent at least once, or being sent: its idempotency key may already be applied, so it is frozen. */
  frozen: boolean;
}

export type WriteKind = "save" | "delete";

/**
 * How a new local write combines with the item's newest pending operation.
 * - `append`: queue a new operation of `type` after it.
 * - `replace`: rewrite the pending operation in place as `type`, with the new value.
 * - `drop`: remove the pending operation; nothing needs to reach the server (create then delete).
 *
 * `knownToServer` says whether the server has a version of the item (used when nothing is pending). The
 * type is what the operation means to the user; the request's precondition (If-Match or If-None-Match) is
 * chosen at send time from the version the client last saw, so a coalesced operation is always sent right.
 */
export type CoalesceDecision =
  | { action: "append"; type: OperationType }
  | { action: "replace"; type: OperationType }
  | { action: "drop" };

export function coalesce(last: CoalesceTarget | undefined, write: WriteKind, knownToServer: boolean): CoalesceDecision {
  if (!last) {
    if (write === "delete") return { action: "append", type: "delete" };
    return { action: "append", type: knownToServer ? "update" : "create" };
  }
  if (last.frozen) {
    return { action: "append", type: write === "delete" ? "delete" : last.type === "delete" ? "create" : "update" };
  }
  if (last.type === "create") {
    return write === "delete" ? { action: "drop" } : { action: "replace", type: "create" };
  }
  // update+update, update+delete, delete+delete, and delete+save (an update from the same base version).
  return { action: "replace", type: write === "delete" ? "delete" : "update" };
}
