import { plain } from "./views/common";
/**
 * What the Queue view shows: each pending operation's status, and the filtered, sorted rows. Pure, so
 * it is tested without a browser; the view memoises it per queue change.
 */
type Operation = Record<string, unknown>;

/**
 * - `held`: waits behind a dead letter or a parked conflict on the same item;
 * - `blocked`: the whole client is held (forced offline, paused, throttled, …: `status.blocked` says why);
 * - `backoff`: failed before and waits for its next attempt;
 * - `failing`: failed before and is due again;
 * - `due`: will go in the next drain.
 */
export type OperationStatus = "held" | "blocked" | "backoff" | "failing" | "due";

export const OPERATION_STATUSES: readonly OperationStatus[] = ["due", "failing", "backoff", "held", "blocked"];

export type QueueSort = "oldest" | "newest" | "attempts" | "next" | "item";

export interface QueueFilter {
  search: string;
  type: "all" | "create" | "update" | "delete";
  status: "all" | OperationStatus;
  sort: QueueSort;
}

export interface QueueRow {
  op: Operation;
  seq: number;
  itemId: string;
  type: string;
  status: OperationStatus;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  lastError: string;
}

/** `blocked`: the reason that holds every operation (see `GLOBAL_BLOCKS`), if one does. */
export function operationStatus(op: Operation, now: number, heldItems: ReadonlySet<string>, blocked?: string): OperationStatus {
  if (heldItems.has(plain(op["itemId"]))) return "held";
  if (blocked) return "blocked";
  const failed = Array.isArray(op["errors"]) && op["errors"].length > 0;
  if (Number(op["nextAttemptAt"]) > now) return "backoff";
  return failed ? "failing" : "due";
}

export function toRow(op: Operation, now: number, heldItems: ReadonlySet<string>, blocked?: string): QueueRow {
  const errors = Array.isArray(op["errors"]) ? op["errors"] : [];
  const last = errors.at(-1) as Operation | undefined;
  return {
    op,
    seq: Number(op["seq"]),
    itemId: plain(op["itemId"] ?? ""),
    type: plain(op["type"] ?? ""),
    status: operationStatus(op, now, heldItems, blocked),
    attempts: Number(op["attempts"] ?? 0),
    nextAttemptAt: Number(op["nextAttemptAt"] ?? 0),
    createdAt: Number(op["createdAt"] ?? 0),
    lastError: last ? plain(last["message"] ?? last["code"] ?? "") : "",
  };
}

const COMPARE: Record<QueueSort, (a: QueueRow, b: QueueRow) => number> = {
  oldest: (a, b) => a.seq - b.seq,
  newest: (a, b) => b.seq - a.seq,
  attempts: (a, b) => b.attempts - a.attempts || a.seq - b.seq,
  next: (a, b) => a.nextAttemptAt - b.nextAttemptAt || a.seq - b.seq,
  item: (a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : a.seq - b.seq),
};

/** The rows to show: search matches item id, opId, type, status or last error (case-insensitive). */
export function queueRows(ops: Iterable<Operation>, filter: QueueFilter, now: number, heldItems: ReadonlySet<string>, blocked?: string): QueueRow[] {
  const needle = filter.search.trim().toLowerCase();
  const rows: QueueRow[] = [];
  for (const op of ops) {
    const row = toRow(op, now, heldItems, blocked);
    if (filter.type !== "all" && row.type !== filter.type) continue;
    if (filter.status !== "all" && row.status !== filter.status) continue;
    if (needle && !`${row.itemId}\n${plain(op["opId"] ?? "")}\n${row.type}\n${row.status}\n${row.lastError}`.toLowerCase().includes(needle)) continue;
    rows.push(row);
  }
  return rows.sort(COMPARE[filter.sort]);
}
