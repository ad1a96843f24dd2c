import { equal } from "./conflicts.js";
import type { SendOutcome } from "./classify.js";
import type { ServerVersion } from "../storage/store.js";
import type { WireOp } from "../transport/transport.js";
import type { PendingOperation } from "../shared/types.js";

/**
 * The JSON Merge Patch (RFC 7396) that turns `base` into `next`: changed fields only, `null` for removed
 * ones, nested plain objects patched field by field, arrays replaced whole.
 *
 * Returns `undefined` when a merge patch cannot say it: a `null` anywhere the server would merge rather
 * than store (in a merge patch, `null` means "remove": a field set to `null`, or a `null` inside an object
 * sent whole). The caller then sends the whole item.
 */
export function mergePatch(base: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> | undefined {
  const patch: Record<string, unknown> = {};
  // Defined, not assigned: a field named "__proto__" must be a field of the patch, not its prototype.
  const set = (key: string, value: unknown) => Object.defineProperty(patch, key, { value, enumerable: true, writable: true, configurable: true });
  for (const key of Object.keys(base)) {
    if (!Object.hasOwn(next, key) || next[key] === undefined) set(key, null);
  }
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined || equal(value, base[key])) continue;
    if (value === null) return undefined;
    const before = base[key];
    if (isPlainObject(value) && isPlainObject(before)) {
      const nested = mergePatch(before, value);
      if (nested === undefined) return undefined;
      set(key, nested);
    } else {
      if (hasMergedNull(value)) return undefined;
      set(key, value);
    }
  }
  return patch;
}

/** Whether an object sent whole in a merge patch holds a `null` the server would take as "remove" (arrays are stored as they are). */
function hasMergedNull(value: unknown): boolean {
  return isPlainObject(value) && Object.values(value).some((field) => field === null || hasMergedNull(field));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Delta push: a write of an item the server has goes as a `PATCH` with the JSON Merge Patch from the item's last synced copy
 * (the base cannot change while the operation is pending, so every retry sends the same patch). Deletes,
 * creates and changes a merge patch cannot express keep their whole-item request.
 */
export function asPatch(wire: WireOp, op: PendingOperation, base: ServerVersion | undefined): WireOp {
  const patch = base?.value && op.value ? mergePatch(base.value as unknown as Record<string, unknown>, op.value as unknown as Record<string, unknown>) : undefined;
  return patch ? { ...wire, method: "PATCH", body: patch } : wire;
}

/** Whether a reply to a `PATCH` says the server does not take PATCH at all (then whole items are sent). */
export function refusesPatch(wire: WireOp, outcome: SendOutcome): boolean {
  return wire.method === "PATCH" && outcome.kind === "http" && [405, 415, 501].includes(outcome.status);
}
