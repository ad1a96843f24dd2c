import type { SendOutcome } from "./classify.js";
import type { ServerVersion } from "../storage/store.js";
import type { AttemptError, SyncItem } from "../shared/types.js";

/** What the server said about one operation, read into the shapes the outbox keeps. Pure. */
export type FailedOutcome = Exclude<SendOutcome, { kind: "ok" }>;

/** The failure as kept in an operation's error history. */
export function attemptError(outcome: FailedOutcome, at: number): AttemptError {
  if (outcome.kind === "network" || outcome.kind === "timeout") return { at, code: outcome.kind, message: outcome.message };
  if (outcome.kind === "resend") return { at, code: "http", message: outcome.message };
  if (outcome.kind === "reused") return { at, code: "http", status: 422, message: "HTTP 422: the idempotency key was spent on an earlier body of this operation; sent again under a new key" };
  const { status, body } = outcome;
  if (outcome.kind === "malformed") return { at, code: "malformed_reply", message: outcome.message, status, body };
  const code = status === 401 || status === 403 ? "auth" : status === 409 ? "conflict" : "http";
  return { at, code, message: `HTTP ${status}${serverMessage(body)}`, status, body };
}

function serverMessage(body: unknown): string {
  const message = asRecord(body)?.["message"];
  return typeof message === "string" ? `: ${message.slice(0, 200)}` : "";
}

/**
 * The server's current record from a 409 reply, as the protocol sends it (`current`: a record, a
 * tombstone or null). `undefined` when the reply carries none: then no strategy can run.
 */
export function serverCurrent(outcome: FailedOutcome): ServerVersion | null | undefined {
  if (outcome.kind !== "http") return undefined;
  const body = asRecord(outcome.body);
  return body && "current" in body ? parseRecord(body["current"]) : undefined;
}

/** A protocol record as the last synced copy it makes (a tombstone: its version, no value); null for null, undefined for no record. */
export function parseRecord(current: unknown): ServerVersion | null | undefined {
  if (current === null) return null;
  const record = asRecord(current);
  if (!record || typeof record["version"] !== "number" || typeof record["id"] !== "string") return undefined;
  const value = record["deleted"] === true ? undefined : (asRecord(record["value"]) as SyncItem | undefined);
  const server: ServerVersion = { id: record["id"], version: record["version"] };
  if (value) server.value = value;
  if (typeof record["updatedAt"] === "string") server.updatedAt = record["updatedAt"];
  return server;
}

/** The value and server time of the record a successful write returned. */
export function acceptedRecord(body: unknown): { value?: SyncItem; updatedAt?: string } {
  const record = asRecord(body);
  const value = asRecord(record?.["value"]) as SyncItem | undefined;
  const updatedAt = record?.["updatedAt"];
  return { ...(value ? { value } : {}), ...(typeof updatedAt === "string" ? { updatedAt } : {}) };
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
