import { equal } from "./conflicts";

/**
 * The JSON Merge Patch (RFC 7396) that turns `base` into `next`: changed fields only, `null` for removed
 * ones, nested plain objects patched field by field, arrays replaced whole.
 *
 * Returns `undefined` when a merge patch cannot say it: a field set to `null` (in a merge patch, `null`
 * means "remove"). The caller then sends the whole item.
 */
export function mergePatch(base: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(base)) {
    if (!(key in next) || next[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined || equal(value, base[key])) continue;
    if (value === null) return undefined;
    const before = base[key];
    if (isPlainObject(value) && isPlainObject(before)) {
      const nested = mergePatch(before, value);
      if (nested === undefined) return undefined;
      patch[key] = nested;
    } else {
      patch[key] = value;
    }
  }
  return patch;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
