import type { ConflictStrategy, TieRule } from "../sync/conflicts.js";
import { InvalidOptionsError } from "../shared/errors.js";
import { flag, integer, type CoreSyncClientOptions } from "./options.js";
import { redactSecrets, type Redactor } from "../observe/snapshot.js";
import { resolveStorage, type ItemStorage, type StorageOption } from "../storage/storage.js";
import type { SyncItem } from "../shared/types.js";
import type { SyncTransport } from "../transport/seam.js";

/** Options of {@link createSyncClient}: the core's, and those of pulling, conflicts, reads, app storage and snapshots. */
export interface SyncClientOptions<T extends SyncItem = SyncItem> extends CoreSyncClientOptions {
  /** How operations reach the backend (see {@link CoreSyncClientOptions.transport}), typed by the item. */
  transport?: SyncTransport<T>;
  /**
   * How conflicts end: `server-wins`, `client-wins`, `latest-wins`, `merge` (three-way, field by field,
   * against the last synced copy), `manual` (parked until `resolveConflict`), or an async function.
   * Default `merge`. `sync({ conflict })` overrides it for one call.
   */
  conflict?: ConflictStrategy<T>;
  /** With `merge`: who wins a field both sides changed differently. Default `server`. */
  mergeTie?: TieRule;
  /**
   * How `get` and `list` read: `cache-first` (the local copy at once, refreshed in the background;
   * default), `network-first` (sync first when reachable, local on failure), `hybrid` (network-first
   * while online, cache-first offline), `cache-only` (never touches the network). Overridable per call.
   */
  read?: ReadPolicy;
  /** Send updates as a JSON Merge Patch of the changed fields (`PATCH`) when the server takes it. Default true. */
  deltaPush?: boolean;
  /** Gzip request bodies larger than this many bytes (`Content-Encoding: gzip`); `false` never. Default 1024. */
  compressAboveBytes?: number | false;
  /** Pull the server's change feed after each push. Default true. */
  pull?: boolean;
  /** Changes per feed page. Default 100 (1..1000). */
  pullPageSize?: number;
  /**
   * Where the app's items live. Default `"indexeddb"`: in the client's database, written in the same
   * transaction as their outbox operation. `"localstorage"`, `"sessionstorage"` or an `ItemStorage`
   * (e.g. `fromI45(context)`) also keep a copy there: the change is recorded in IndexedDB first, copied
   * after, and copied again on start-up if the page died in between.
   */
  storage?: StorageOption<T>;
  /** Timeline entries kept in memory for `timeline()` and snapshots. Default 200 (0..10000). */
  eventLogSize?: number;
  /**
   * Applied to every item payload and server body in `exportSnapshot()`. Default: fields whose names look
   * like secrets (token, password, authorization, secret, cookie, api key, session) become "[redacted]".
   */
  redact?: Redactor;
}

/** Where `get`/`list` answer from, and whether they refresh from the server first (see docs/sdk.md, Reads). */
export type ReadPolicy = "cache-first" | "network-first" | "hybrid" | "cache-only";

/** The full client's own options, validated, with defaults filled in. */
export interface FeatureOptions<T extends SyncItem = SyncItem> {
  read: ReadPolicy;
  conflict: ConflictStrategy<T>;
  mergeTie: TieRule;
  pull: boolean;
  pullPageSize: number;
  deltaPush: boolean;
  compressAboveBytes: number;
  eventLogSize: number;
  redact: Redactor;
  storage: ItemStorage<T> | undefined;
}

const STRATEGIES = ["server-wins", "client-wins", "latest-wins", "merge", "manual"];
const READ_POLICIES: ReadPolicy[] = ["cache-first", "network-first", "hybrid", "cache-only"];

/** Validates the full client's own options (the core's are `resolveOptions`'s); throws {@link InvalidOptionsError}. */
export function resolveFeatureOptions<T extends SyncItem>(options: SyncClientOptions<T>): FeatureOptions<T> {
  const conflict = options.conflict ?? "merge";
  if (typeof conflict !== "function" && !STRATEGIES.includes(conflict)) throw new InvalidOptionsError("conflict", `expected a function or one of ${STRATEGIES.join(", ")}`);
  const mergeTie = options.mergeTie ?? "server";
  if (!["server", "local", "latest"].includes(mergeTie)) throw new InvalidOptionsError("mergeTie", "expected server, local or latest");
  const read = options.read ?? "cache-first";
  if (!READ_POLICIES.includes(read)) throw new InvalidOptionsError("read", "expected cache-first, network-first, hybrid or cache-only");
  const compress = options.compressAboveBytes ?? 1024;
  return {
    read,
    conflict,
    mergeTie,
    pull: flag("pull", options.pull),
    pullPageSize: integer("pullPageSize", options.pullPageSize, 100, 1, 1000),
    deltaPush: flag("deltaPush", options.deltaPush),
    compressAboveBytes: compress === false ? Number.POSITIVE_INFINITY : integer("compressAboveBytes", compress, 1024, 0),
    eventLogSize: integer("eventLogSize", options.eventLogSize, 200, 0, 10_000),
    storage: resolveStorage(options.storage, options.name),
    redact: redactor(options.redact),
  };
}

function redactor(value: Redactor | undefined): Redactor {
  if (value === undefined) return redactSecrets;
  if (typeof value !== "function") throw new InvalidOptionsError("redact", "expected a function (value) => value");
  return value;
}
