import type { SyncItem } from "../shared/types.js";

/** Both sides of a conflict, with the last copy both agreed on. `null` means deleted (or never existed). */
export interface Conflict<T extends SyncItem = SyncItem> {
  id: string;
  local: T | null;
  server: T | null;
  /** The last synced copy: what both sides started from. */
  base: T | null;
  serverVersion: number;
  /** The server's clock, from its record. */
  serverUpdatedAt: string | null;
  /** When the local change was made, on the client's clock corrected by the measured offset to the server's. */
  localUpdatedAt: number;
  detectedAt: number;
}

/**
 * How a conflict ends: keep one side ("local": the item as it is when the resolution is applied), or a new
 * value (null deletes the item). `serverVersion`: the conflict's `serverVersion` the value was made from;
 * when given and a newer server copy has been pulled since, `resolveConflict` throws `conflict_changed`
 * instead of overwriting what it has not seen.
 */
export type Resolution<T extends SyncItem = SyncItem> = "local" | "server" | { value: T | null; serverVersion?: number };

/** Which side wins a field (or the whole item) that both sides changed differently. */
export type TieRule = "server" | "local" | "latest";

/** How a conflict is decided: a built-in rule, `manual` (parked for the app), or a function of the conflict. */
export type ConflictStrategy<T extends SyncItem = SyncItem> =
  | "server-wins"
  | "client-wins"
  | "latest-wins"
  | "merge"
  | "manual"
  | ((conflict: Conflict<T>) => Resolution<T> | Promise<Resolution<T>>);

/**
 * Decides a conflict by a built-in strategy; `undefined` for `manual` (the conflict is parked for the app
 * or the developer to resolve).
 */
export function resolveBuiltIn<T extends SyncItem>(strategy: Exclude<ConflictStrategy<T>, Function>, conflict: Conflict<T>, tie: TieRule): Resolution<T> | undefined {
  switch (strategy) {
    case "server-wins":
      return "server";
    case "client-wins":
      return "local";
    case "latest-wins":
      return latestSide(conflict);
    case "merge":
      return { value: mergeThreeWay(conflict, tie) };
    case "manual":
      return undefined;
  }
}

/**
 * The side changed last, by the server's clock: the server record's `updatedAt` against the local change
 * time shifted by the client's measured clock offset. Ties, and a server record without a time, go to
 * the server, whose clock is the only one both sides share.
 */
export function latestSide(conflict: Conflict): "local" | "server" {
  const serverTime = conflict.serverUpdatedAt === null ? Number.NaN : Date.parse(conflict.serverUpdatedAt);
  return Number.isNaN(serverTime) || conflict.localUpdatedAt <= serverTime ? "server" : "local";
}

/**
 * Three-way merge, field by field, against the base: a field changed on one side only takes that side's
 * value; a field both sides changed to different values follows the tie rule. Nested plain objects merge
 * the same way, field by field. A deletion on one side against an edit on the other is a tie at item level.
 */
export function mergeThreeWay<T extends SyncItem>(conflict: Conflict<T>, tie: TieRule): T | null {
  const { local, server, base } = conflict;
  const tieSide = tie === "latest" ? latestSide(conflict) : tie;
  if (local === null || server === null) {
    if (local === null && server === null) return null;
    if (equal(local, base)) return server;
    if (equal(server, base)) return local;
    return tieSide === "local" ? local : server;
  }
  return mergeObjects(base, local as unknown as Record<string, unknown>, server as unknown as Record<string, unknown>, tieSide) as unknown as T;
}

function mergeObjects(base: unknown, local: Record<string, unknown>, server: Record<string, unknown>, tie: "local" | "server"): Record<string, unknown> {
  const baseObject = isPlainObject(base) ? base : {};
  const merged: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(baseObject), ...Object.keys(local), ...Object.keys(server)])) {
    const [was, mine, theirs] = [baseObject[key], local[key], server[key]];
    let value: unknown;
    if (equal(mine, theirs) || equal(mine, was)) value = theirs;
    else if (equal(theirs, was)) value = mine;
    else if (isPlainObject(mine) && isPlainObject(theirs)) value = mergeObjects(was, mine, theirs, tie);
    else value = tie === "local" ? mine : theirs;
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Structural equality of JSON data (key order ignored). */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((key) => equal((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
