import type { Conflict } from "../sync/conflicts.js";
import type { SyncLogEvent } from "./event-log.js";
import type { DeadLetter, PendingOperation, SyncItem, SyncMetrics, SyncStatus } from "../shared/types.js";

/** Replaces whatever should not leave the machine in a snapshot. Receives item payloads and server bodies. */
export type Redactor = (value: unknown) => unknown;

/** A client's state, for a bug report. JSON-serialisable; the schema is in docs/snapshot.md. */
export interface SyncSnapshot {
  format: "synclens-snapshot";
  /** Schema version of this object. */
  version: 1;
  sdkVersion: string;
  exportedAt: string;
  client: { name: string; endpoint: string };
  options: Record<string, unknown>;
  status: Omit<SyncStatus, "lastError"> & { lastError: { code: string; message: string } | null };
  metrics: SyncMetrics;
  queue: PendingOperation[];
  /** Operations left out of `queue` beyond the export's limit. */
  queueTruncated: number;
  deadLetters: DeadLetter[];
  conflicts: Conflict[];
  events: SyncLogEvent[];
}

export const REDACTED = "[redacted]";
const SECRET_NAME = /token|password|passwd|authorization|secret|cookie|api[-_]?key|session/i;

/**
 * The default redactor: every field whose name looks like a secret (token, password, authorization,
 * secret, cookie, api key, session), at any depth, is replaced by "[redacted]".
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key] = SECRET_NAME.test(key) ? REDACTED : redactSecrets(field);
  return out;
}

/** Options as they can be shown: header values and functions never leave. */
export function describeOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key === "indexedDB" || key === "fetch" || key === "storage") continue;
    if (key === "headers") out[key] = typeof value === "function" ? "[function]" : value ? Object.fromEntries(Object.keys(value).map((name) => [name, REDACTED])) : undefined;
    else out[key] = typeof value === "function" ? "[function]" : value === Number.POSITIVE_INFINITY ? "Infinity" : value;
  }
  return out;
}

/** Runs every payload a snapshot carries through `redact`. */
export function redactPayloads(
  redact: Redactor,
  parts: { queue: PendingOperation[]; deadLetters: DeadLetter[]; conflicts: Conflict[] },
): { queue: PendingOperation[]; deadLetters: DeadLetter[]; conflicts: Conflict[] } {
  const item = (value: SyncItem | null | undefined) => (value == null ? value : (redact(value) as SyncItem));
  const operation = <O extends PendingOperation>(op: O): O => ({
    ...op,
    ...(op.value ? { value: item(op.value) } : {}),
    errors: op.errors.map((error) => (error.body === undefined ? error : { ...error, body: redact(error.body) })),
  });
  return {
    queue: parts.queue.map(operation),
    deadLetters: parts.deadLetters.map((letter) => {
      const redacted = operation(letter);
      return letter.reply ? { ...redacted, reply: { status: letter.reply.status, body: redact(letter.reply.body) } } : redacted;
    }),
    conflicts: parts.conflicts.map((conflict) => ({ ...conflict, local: item(conflict.local) ?? null, server: item(conflict.server) ?? null, base: item(conflict.base) ?? null })),
  };
}
