import { InvalidItemError } from "../shared/errors.js";
import type { SyncItem } from "../shared/types.js";

export const MAX_ID_LENGTH = 256;
const MAX_DEPTH = 64;

export function assertValidId(id: unknown): asserts id is string {
  if (typeof id !== "string" || id.length === 0) {
    throw new InvalidItemError("An item id must be a non-empty string", "$.id", "invalid_id");
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new InvalidItemError(`An item id must be at most ${MAX_ID_LENGTH} characters`, "$.id", "invalid_id");
  }
  // "." and ".." collapse out of a URL path ({endpoint}/{id}); a lone surrogate has no UTF-8 form, so a
  // server would store another id than the one sent; U+0000 fits no PostgreSQL text column.
  if (id === "." || id === ".." || id.includes("\u0000") || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(id)) {
    throw new InvalidItemError(`An item id must not be "." or ".." nor hold a lone surrogate or U+0000`, "$.id", "invalid_id");
  }
}

/**
 * Checks that `item` survives a JSON round trip unchanged, which is what the server will store: plain
 * objects and arrays of strings, finite numbers, booleans and null. `undefined` object fields are allowed
 * (JSON drops them). Throws {@link InvalidItemError} naming the first offending path.
 */
export function assertValidItem<T extends SyncItem>(item: unknown): asserts item is T {
  if (!isPlainObject(item)) throw new InvalidItemError("An item must be a plain object");
  assertValidId(item["id"]);
  assertJsonValue(item, "$", new Set(), 0);
}

function assertJsonValue(value: unknown, path: string, ancestors: Set<object>, depth: number): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw new InvalidItemError(`${value} is not representable in JSON`, path);
      return;
    case "object":
      break;
    default:
      throw new InvalidItemError(`A ${typeof value} is not JSON-serialisable`, path);
  }
  if (value === null) return;
  if (depth >= MAX_DEPTH) throw new InvalidItemError(`Nested deeper than ${MAX_DEPTH} levels`, path);
  if (ancestors.has(value)) throw new InvalidItemError("Circular reference", path);
  ancestors.add(value);
  if (Array.isArray(value)) {
    value.forEach((entry, index) => {
      if (entry === undefined) throw new InvalidItemError("undefined in an array becomes null in JSON", `${path}[${index}]`);
      assertJsonValue(entry, `${path}[${index}]`, ancestors, depth + 1);
    });
  } else if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const field = value[key];
      if (field !== undefined) assertJsonValue(field, `${path}.${key}`, ancestors, depth + 1);
    }
  } else {
    const kind = (value as object).constructor?.name ?? "object";
    throw new InvalidItemError(`A ${kind} is not plain JSON data (store dates as ISO strings)`, path);
  }
  ancestors.delete(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A conflict resolution: "local", "server", or `{ value }` with a valid item of the same id (or null). */
export function assertValidResolution(resolution: unknown, id: string): void {
  if (resolution === "local" || resolution === "server") return;
  const value = typeof resolution === "object" && resolution !== null ? (resolution as { value?: unknown }).value : undefined;
  if (value === null) return;
  if (value === undefined) throw new InvalidItemError('A resolution is "local", "server" or { value }');
  assertValidItem(value);
  if ((value as SyncItem).id !== id) throw new InvalidItemError(`The resolved value's id must be ${id}`, "$.value.id", "invalid_id");
}
