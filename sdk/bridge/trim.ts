/**
 * Makes any value safe and small enough to cross the DevTools bridge, without losing what it was:
 * - depth, string length and list length are bounded, with a `more` marker (original size and the path
 *   to ask for with an `expand` command);
 * - values JSON cannot carry become tagged stand-ins: Map, Set, Date, circular references, functions,
 *   symbols, bigint, undefined, NaN and infinities, errors.
 * The result is plain JSON. Markers are objects whose `$synclens` key names what they stand for; page
 * data never poses as one: a key of its own that starts with `$synclens` (after any `$`) gets one more `$`.
 */
/** Bounds on a trimmed value: nesting levels, characters per string, entries per list, map, set or object. */
export interface TrimLimits {
  depth: number;
  string: number;
  list: number;
}

export const DEFAULT_TRIM: TrimLimits = { depth: 6, string: 300, list: 50 };

export type Path = (string | number)[];

export type Marker =
  | { $synclens: "more"; kind: "string"; preview: string; length: number; path: Path }
  | { $synclens: "more"; kind: "list"; items: unknown[]; length: number; path: Path }
  | { $synclens: "more"; kind: "object"; size: number; path: Path }
  | { $synclens: "map"; entries: [unknown, unknown][]; size: number }
  | { $synclens: "set"; values: unknown[]; size: number }
  | { $synclens: "date"; iso: string | null }
  | { $synclens: "circular"; path: Path }
  | { $synclens: "error"; name: string; message: string }
  | { $synclens: "other"; kind: "undefined" | "function" | "symbol" | "bigint" | "number"; text: string };

export function trim(value: unknown, limits: TrimLimits = DEFAULT_TRIM, path: Path = []): unknown {
  return walk(value, limits, path, 0, new Map());
}

/** Follows `path` into the original value (through Maps and Sets too), for an `expand` command. */
export function resolvePath(value: unknown, path: readonly (string | number)[]): { found: true; value: unknown } | { found: false } {
  let current = value;
  for (const step of path) {
    if (current instanceof Map) current = [...current.entries()][Number(step)];
    else if (current instanceof Set) current = [...current.values()][Number(step)];
    else if (typeof current === "object" && current !== null && Object.prototype.hasOwnProperty.call(current, step)) current = (current as Record<string | number, unknown>)[step];
    else return { found: false };
  }
  return { found: true, value: current };
}

function walk(value: unknown, limits: TrimLimits, path: Path, depth: number, ancestors: Map<object, Path>): unknown {
  switch (typeof value) {
    case "string":
      return value.length <= limits.string ? value : { $synclens: "more", kind: "string", preview: value.slice(0, limits.string), length: value.length, path };
    case "number":
      return Number.isFinite(value) ? value : other("number", String(value));
    case "boolean":
      return value;
    case "undefined":
      return other("undefined", "undefined");
    case "bigint":
      return other("bigint", `${value}n`);
    case "symbol":
      return other("symbol", value.toString());
    case "function":
      return other("function", `function ${value.name || "(anonymous)"}`);
  }
  if (value === null) return null;
  const object = value as object;
  const seen = ancestors.get(object);
  if (seen) return { $synclens: "circular", path: seen };
  if (object instanceof Date) return { $synclens: "date", iso: Number.isNaN(object.getTime()) ? null : object.toISOString() };
  if (object instanceof Error) return { $synclens: "error", name: String(object.name).slice(0, limits.string), message: String(object.message).slice(0, limits.string) };
  const size = object instanceof Map || object instanceof Set ? object.size : Array.isArray(object) ? object.length : Object.keys(object).length;
  if (depth >= limits.depth) return { $synclens: "more", kind: "object", size, path };
  ancestors.set(object, path);
  try {
    if (object instanceof Map) {
      const entries = [...object.entries()].slice(0, limits.list).map(([key, entry], index): [unknown, unknown] => [walk(key, limits, [...path, index, 0], depth + 1, ancestors), walk(entry, limits, [...path, index, 1], depth + 1, ancestors)]);
      return { $synclens: "map", entries, size };
    }
    if (object instanceof Set) return { $synclens: "set", values: [...object.values()].slice(0, limits.list).map((entry, index) => walk(entry, limits, [...path, index], depth + 1, ancestors)), size };
    if (Array.isArray(object)) {
      const items = object.slice(0, limits.list).map((entry, index) => walk(entry, limits, [...path, index], depth + 1, ancestors));
      return object.length <= limits.list ? items : { $synclens: "more", kind: "list", items, length: object.length, path };
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(object);
    // Defined, not assigned: a field named "__proto__" stays a field instead of becoming the prototype.
    for (const key of keys.slice(0, limits.list)) {
      Object.defineProperty(out, escapeKey(key), { value: walk((object as Record<string, unknown>)[key], limits, [...path, key], depth + 1, ancestors), enumerable: true, writable: true, configurable: true });
    }
    if (keys.length > limits.list) out["$synclens:more"] = { $synclens: "more", kind: "object", size: keys.length, path };
    return out;
  } finally {
    ancestors.delete(object);
  }
}

/** `$synclens` is the bridge's marker key: the page's own keys of that shape get one more `$` (`unescapeKey` undoes it). */
export function escapeKey(key: string): string {
  return /^\$*\$synclens/.test(key) ? `$${key}` : key;
}

export function unescapeKey(key: string): string {
  return /^\$+\$synclens/.test(key) ? key.slice(1) : key;
}

function other(kind: "undefined" | "function" | "symbol" | "bigint" | "number", text: string): Marker {
  return { $synclens: "other", kind, text };
}
