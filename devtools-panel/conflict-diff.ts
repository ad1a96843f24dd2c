import { unescapeKey } from "../sdk/bridge/trim";
/**
 * The Conflicts view's logic without the view: a three-way diff of a conflict's top-level fields, a
 * field-by-field merge, and the check on merged JSON before it is sent. Conflicts come from the page:
 * every field is untrusted, and values may hold trim markers (sdk/bridge/trim.ts) that stand for data
 * the panel never saw in full, so they must never be sent back as if they were the data.
 */

/** One copy of the item: the last synced one (`base`), this client's, or the server's. */
export type Side = "base" | "local" | "server";

/** Stands for a field a side does not have (JSON has no `undefined` to say so). */
export const ABSENT: unique symbol = Symbol("absent");

export interface FieldDiff {
  field: string;
  /** The field's value on each side, or `ABSENT`. */
  base: unknown;
  local: unknown;
  server: unknown;
  /** Local differs from base. */
  localChanged: boolean;
  /** Server differs from base. */
  serverChanged: boolean;
  /** Both changed, to different values. */
  conflicting: boolean;
  /** Local differs from server. */
  differs: boolean;
  /** `same`: local and server agree; `local` / `server`: only that side changed; `both`: conflicting. */
  state: "same" | "local" | "server" | "both";
  /** The side a merge takes unless told otherwise (see `mergeFields`). */
  defaultChoice: Side;
  /** Sides whose value holds a trim marker, with the marker's path: merging from them would send a stand-in. */
  truncated: Partial<Record<Side, string>>;
}

export interface ConflictDiff {
  id: string;
  /** Base's fields first, then fields new in local, then fields new on the server. */
  rows: FieldDiff[];
  /** Sides that are `null`: the item is deleted there (for base: it did not exist at the last sync). */
  deleted: Record<Side, boolean>;
  /** Why no field merge is possible for this conflict (a side is not an item, or has fields the panel was not sent), or null. */
  blocked: string | null;
}

/** What the panel holds of a conflict (sdk/sync/conflicts.ts `Conflict`, as received: any field may be wrong). */
export interface ConflictData {
  id?: unknown;
  base?: unknown;
  local?: unknown;
  server?: unknown;
}

export type MergedJson = { ok: true; value: Record<string, unknown> | null } | { ok: false; error: string };

/** Longest merged JSON accepted, in characters: leaves room under the bridge's 1 MiB message limit. */
export const MAX_MERGED_JSON = 1_000_000;

const SIDES: readonly Side[] = ["base", "local", "server"];
const MARKER = "$synclens";
const MORE_KEYS = "$synclens:more";

/** Compares each top-level field of base, local and server (deep, key order ignored). */
export function diffConflict(conflict: ConflictData): ConflictDiff {
  const id = typeof conflict.id === "string" ? conflict.id : "";
  const items = { base: asItem(conflict.base), local: asItem(conflict.local), server: asItem(conflict.server) };
  const deleted = { base: conflict.base == null, local: conflict.local == null, server: conflict.server == null };
  const fields = new Set(SIDES.flatMap((side) => Object.keys(items[side] ?? {})));
  const rows = [...fields].map((field): FieldDiff => {
    const [base, local, server] = SIDES.map((side) => {
      const item = items[side];
      return item && Object.hasOwn(item, field) ? item[field] : ABSENT;
    }) as [unknown, unknown, unknown];
    const localChanged = !sameJson(local, base);
    const serverChanged = !sameJson(server, base);
    const differs = !sameJson(local, server);
    const conflicting = localChanged && serverChanged && differs;
    const state = !differs ? "same" : conflicting ? "both" : localChanged ? "local" : "server";
    // A field merge on a delete/edit conflict keeps the item: the deleted side has no fields to offer.
    const defaultChoice = deleted.server && !deleted.local ? "local" : deleted.local && !deleted.server ? "server" : state === "server" ? "server" : "local";
    const truncated: Partial<Record<Side, string>> = {};
    for (const [side, value] of [["base", base], ["local", local], ["server", server]] as const) {
      const marker = findTrimMarker(value, pathTo(side, field));
      if (marker) truncated[side] = marker;
    }
    return { field, base, local, server, localChanged, serverChanged, conflicting, differs, state, defaultChoice, truncated };
  });
  return { id, rows, deleted, blocked: SIDES.map((side) => sideProblem(side, conflict[side])).find((problem) => problem !== null) ?? null };
}

function unescapeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unescapeKeys);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [unescapeKey(key), unescapeKeys(entry)]));
}

/**
 * The merged item from a choice of side per field. A field without a choice takes its `defaultChoice`:
 * the side that changed it when only one did, local when both changed it differently (and when nothing
 * differs), and the surviving side when the other deleted the item. A field whose chosen side lacks it
 * is left out. `id` is always the conflict's id, whatever was chosen.
 */
export function mergeFields(conflict: ConflictData, choices: Readonly<Record<string, Side>> = {}): Record<string, unknown> {
  const diff = diffConflict(conflict);
  const entries: [string, unknown][] = [["id", diff.id]];
  for (const row of diff.rows) {
    if (row.field === "id") continue;
    const choice = Object.hasOwn(choices, row.field) && SIDES.includes(choices[row.field]!) ? choices[row.field]! : row.defaultChoice;
    // The bridge gave the page's own "$synclens…" keys one more "$" (trim.ts): the item gets them back as they were.
    if (row[choice] !== ABSENT) entries.push([unescapeKey(row.field), unescapeKeys(row[choice])]);
  }
  // fromEntries defines own properties, so a field named "__proto__" stays a field.
  return Object.fromEntries(entries);
}

/**
 * Checks merged JSON before it is sent as a resolution: at most `MAX_MERGED_JSON` characters, valid JSON,
 * an object whose `id` is the conflict's id (or `null`, which deletes the item), with no trim marker anywhere.
 */
export function parseMergedJson(text: string, conflictId: string): MergedJson {
  if (text.length > MAX_MERGED_JSON) return fail(`The merged JSON is ${text.length.toLocaleString("en-US")} characters; at most ${MAX_MERGED_JSON.toLocaleString("en-US")} can be sent`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(`Not valid JSON: ${(error as Error).message}`);
  }
  if (value === null) return { ok: true, value: null };
  if (!isPlainObject(value)) return fail(`The merged value must be an object (or null to delete the item), not ${Array.isArray(value) ? "an array" : typeof value}`);
  if (!Object.hasOwn(value, "id")) return fail(`The merged value needs "id": ${JSON.stringify(conflictId)}`);
  if (value["id"] !== conflictId) return fail(`"id" must stay the conflict's id, the string ${JSON.stringify(conflictId)}`);
  const marker = findTrimMarker(value);
  if (marker) return fail(`${marker} was truncated for the panel: it stands for a value the panel never saw in full, so it cannot be sent. Replace it with the real value or remove it.`);
  return { ok: true, value };
}

/**
 * The path of the first trim marker in a value (an object with a `$synclens` or `"$synclens:more"` key),
 * or null when there is none. `root` names the value itself in the path.
 */
export function findTrimMarker(value: unknown, root = "$"): string | null {
  // Iterative: hand-edited JSON may nest deeper than the call stack goes.
  const stack: [unknown, string][] = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (isMarker(current)) return path;
    const children = Array.isArray(current) ? current.map((item, index): [unknown, string] => [item, `${path}[${index}]`]) : Object.entries(current).map(([key, item]): [unknown, string] => [item, pathTo(path, key)]);
    stack.push(...children.reverse());
  }
  return null;
}

/** Whether a conflict's base, local or server copy holds a trim marker anywhere. */
export function hasTrimMarker(conflict: ConflictData): boolean {
  return SIDES.some((side) => findTrimMarker(conflict[side]) !== null);
}

/**
 * Structural equality of JSON values (key order ignored). Two markers are compared without their `path`,
 * which differs per side for the same data: equal markers may still stand for different values, which is
 * why rows also say what is truncated.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const skip = isMarker(a) && isMarker(b) ? "path" : null;
  const aKeys = Object.keys(a).filter((key) => key !== skip);
  const bKeys = Object.keys(b).filter((key) => key !== skip);
  return aKeys.length === bKeys.length && aKeys.every((key) => Object.hasOwn(b, key) && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function sideProblem(side: Side, value: unknown): string | null {
  if (value == null) return null;
  const item = asItem(value);
  if (!item) return `The ${side} copy is not an item the panel can show field by field`;
  if (Object.hasOwn(item, MORE_KEYS)) return `The ${side} copy has more fields than the panel was sent, so a field merge could drop some`;
  return null;
}

/** A side as an item: a plain object that is not itself a marker, else null. */
function asItem(value: unknown): Record<string, unknown> | null {
  return isPlainObject(value) && !Object.hasOwn(value, MARKER) ? value : null;
}

function isMarker(value: object): boolean {
  return !Array.isArray(value) && (Object.hasOwn(value, MARKER) || Object.hasOwn(value, MORE_KEYS));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function pathTo(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function fail(error: string): MergedJson {
  return { ok: false, error };
}
