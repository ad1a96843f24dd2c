/**
 * Snapshot files: exporting one from a client for a bug report, and reading one back to inspect it
 * without the app. An imported file is untrusted input like anything from a page: checked, bounded,
 * shown as text only.
 */
import { asList, asObject, emptyClient, type ClientView } from "./connection";
import { nestsWithin } from "../sdk/shared/json-depth";
import { plain } from "./views/common";

const MAX_FILE_BYTES = 20 * 1024 * 1024;
/** Deeper files are refused: the views walk values recursively (items themselves nest at most 64 levels). */
const MAX_DEPTH = 100;
/** As much of each list as the panel shows of a live page; the rest of a hostile or huge file is not read. */
const MAX_ROWS = { queue: 100_000, deadLetters: 1000, conflicts: 1000, events: 500 } as const;

export function downloadSnapshot(snapshot: unknown, clientName: string): void {
  const blob = new Blob([JSON.stringify(snapshot, null, 2)], { type: "application/json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `synclens-${clientName.replace(/[^\w.-]+/g, "_")}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** The longest string of an imported file the panel renders: a 15 MB field would freeze it. */
const MAX_STRING = 10_000;

/** Cuts every string in `value` (a parsed file: plain JSON) to MAX_STRING characters, in place. */
function capStrings(value: unknown): void {
  if (typeof value !== "object" || value === null) return;
  const entries = value as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    const field = entries[key];
    if (typeof field === "string" && field.length > MAX_STRING) entries[key] = `${field.slice(0, MAX_STRING)}… (${field.length.toLocaleString("en-US")} characters; cut by the panel)`;
    else capStrings(field);
  }
}

/** Reads an exported snapshot into a read-only client view; throws a message a person can act on. */
export async function readSnapshotFile(file: File): Promise<{ client: ClientView; exportedAt: string; sdkVersion: string }> {
  if (file.size > MAX_FILE_BYTES) throw new Error(`${file.name} is ${file.size} bytes; snapshots over ${MAX_FILE_BYTES} are not read`);
  let data: unknown;
  try {
    data = JSON.parse(await file.text());
  } catch {
    throw new Error(`${file.name} is not JSON`);
  }
  const snapshot = asObject(data);
  if (!snapshot || snapshot["format"] !== "synclens-snapshot") throw new Error(`${file.name} is not a SyncLens snapshot`);
  if (!nestsWithin(data, MAX_DEPTH)) throw new Error(`${file.name} nests deeper than ${MAX_DEPTH} levels; it is not read`);
  if (snapshot["version"] !== 1) throw new Error(`${file.name} is snapshot version ${plain(snapshot["version"]).slice(0, 40)}; this panel reads version 1`);
  capStrings(snapshot);
  const client = asObject(snapshot["client"]) ?? {};
  const name = typeof client["name"] === "string" ? client["name"].slice(0, 100) : "imported";
  const header = (value: unknown, fallback: string) => (typeof value === "string" ? value.slice(0, 100) : fallback);
  return {
    exportedAt: header(snapshot["exportedAt"], "unknown time"),
    sdkVersion: header(snapshot["sdkVersion"], "unknown"),
    client: {
      ...emptyClient(`imported:${name}`, 0, name),
      status: asObject(snapshot["status"]),
      metrics: asObject(snapshot["metrics"]),
      queue: new Map(asList(snapshot["queue"]).slice(0, MAX_ROWS.queue).map((op) => [Number(op["seq"]), op])),
      deadLetters: asList(snapshot["deadLetters"]).slice(0, MAX_ROWS.deadLetters),
      conflicts: asList(snapshot["conflicts"]).slice(0, MAX_ROWS.conflicts),
      events: asList(snapshot["events"]).slice(-MAX_ROWS.events),
    },
  };
}
