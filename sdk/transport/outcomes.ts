/**
 * Between the transport seam's public shapes (seam.ts) and the outbox's own (`SendOutcome`, classify.ts):
 * what a transport is given for an operation, and what its answer means to the drain. Pure.
 *
 * A transport's answer is untrusted: anything that is not an outcome is `malformed` (retried, counted
 * against `maxRetries`), never a loss.
 */
import type { SendOutcome } from "../sync/classify.js";
import type { ServerVersion } from "../storage/store.js";
import type { SyncItem } from "../shared/types.js";
import type { BackendRecord, PushOperation, PushOutcome, SyncTransport } from "./seam.js";
import { isRecord, type WireOp } from "./transport.js";

/**
 * What a transport's answer for `op` means to the drain. A backend without versions: the write's version is
 * one past its base, so later writes and pulls still tell new from old.
 */
export function sendOutcomeOf(answer: unknown, op: PushOperation, base: ServerVersion | undefined): SendOutcome {
  const next = (base?.version ?? 0) + 1;
  if (!isRecord(answer)) return malformed("The transport answered something that is not an outcome", answer);
  const reply = replyOf(answer["reply"]);
  const message = typeof answer["message"] === "string" ? answer["message"] : "";
  switch (answer["kind"]) {
    case "applied": {
      const record = isRecord(answer["record"]) ? answer["record"] : {};
      const version = integer(record["version"]) ?? next;
      const deleted = op.type === "delete";
      const value = deleted ? null : isRecord(record["value"]) ? record["value"] : (op.value ?? null);
      // The backend's own reply when it is the record (the protocol's), else the record made from the outcome.
      const body = isRecord(reply?.body) && reply.body["version"] === version ? reply.body : { id: op.id, version, deleted, value, ...(typeof record["updatedAt"] === "string" && { updatedAt: record["updatedAt"] }) };
      return { kind: "ok", status: reply?.status ?? 200, version, body };
    }
    case "conflict": {
      const current = answer["current"] === null ? null : recordOf(answer["current"], op.id, next);
      if (current === undefined) return malformed("A conflict outcome needs `current`: the backend's copy, or null", answer);
      const body = isRecord(reply?.body) && "current" in reply.body ? reply.body : { error: "version_mismatch", message: message || "the backend's copy moved on", current };
      return { kind: "http", status: 409, body };
    }
    case "retry": {
      const afterMs = integer(answer["afterMs"]);
      switch (answer["reason"]) {
        case "unreachable":
          return { kind: "network", message: message || "The backend could not be reached" };
        case "timeout":
          return { kind: "timeout", message: message || "The backend did not answer in time" };
        case "malformed":
          return { kind: "malformed", status: reply?.status ?? 0, message: message || "The backend's reply made no sense", body: reply?.body };
        case "server": {
          const status = reply && (reply.status >= 500 || reply.status === 408 || reply.status === 429) ? reply.status : 503;
          const body = reply?.body ?? { error: "unavailable", message };
          return afterMs === undefined ? { kind: "http", status, body } : { kind: "http", status, body, retryAfterMs: afterMs };
        }
        default:
          return malformed('A retry outcome needs a reason: "unreachable", "timeout", "server" or "malformed"', answer);
      }
    }
    case "rejected": {
      // The reply's own status, unless it would read as another outcome (credentials, later, a conflict, success).
      const status = reply && reply.status < 500 && (reply.status < 200 || reply.status >= 300) && ![401, 403, 408, 409, 429].includes(reply.status) ? reply.status : 422;
      return { kind: "http", status, body: reply?.body ?? { error: "rejected", message } };
    }
    case "auth":
      return { kind: "http", status: reply?.status === 403 ? 403 : 401, body: reply?.body ?? { error: "unauthorized", message } };
    case "rekey": {
      const current = answer["current"] === null ? null : recordOf(answer["current"], op.id, next);
      if (current === undefined) return malformed("A rekey outcome needs `current`: the backend's copy, or null", answer);
      const server: ServerVersion | null = current && { id: current.id, version: current.version, ...(current.value && !current.deleted && { value: current.value }), ...(current.updatedAt !== undefined && { updatedAt: current.updatedAt }) };
      return { kind: "reused", status: 422, body: reply?.body ?? { error: "idempotency_key_reused", message }, server };
    }
    default:
      return malformed('An outcome needs a kind: "applied", "conflict", "retry", "rejected", "auth" or "rekey"', answer);
  }
}

/** The outcomes a transport answered for a batch, checked: one per operation, or every operation `malformed`. */
export function sendOutcomesOf(answers: unknown, ops: readonly PushOperation[], bases: ReadonlyArray<ServerVersion | undefined>): SendOutcome[] {
  if (!Array.isArray(answers) || answers.length !== ops.length) {
    const message = `The transport answered ${Array.isArray(answers) ? `${answers.length} outcomes` : "no list of outcomes"} for ${ops.length} operations`;
    return ops.map(() => malformed(message, Array.isArray(answers) ? undefined : answers));
  }
  return ops.map((op, index) => sendOutcomeOf(answers[index], op, bases[index]));
}

/** The public outcome of one of the HTTP transport's own (for `SyncTransport.push` over the protocol). */
export function pushOutcomeOf<T extends SyncItem>(outcome: SendOutcome): PushOutcome<T> {
  switch (outcome.kind) {
    case "ok": {
      const body = isRecord(outcome.body) ? outcome.body : {};
      const record: Omit<BackendRecord<T>, "id"> = { version: outcome.version, deleted: body["deleted"] === true };
      if (isRecord(body["value"])) record.value = body["value"] as T;
      if (typeof body["updatedAt"] === "string") record.updatedAt = body["updatedAt"];
      return { kind: "applied", record, reply: { status: outcome.status, body: outcome.body } };
    }
    case "network":
      return { kind: "retry", reason: "unreachable", message: outcome.message };
    case "timeout":
      return { kind: "retry", reason: "timeout", message: outcome.message };
    case "malformed":
      return { kind: "retry", reason: "malformed", message: outcome.message, reply: { status: outcome.status, body: outcome.body } };
    case "resend":
      return { kind: "retry", reason: "server", message: outcome.message, afterMs: 0 };
    case "reused": {
      const server = outcome.server;
      const current: BackendRecord<T> | null = server && { id: server.id, version: server.version, deleted: server.value === undefined, value: (server.value as T | undefined) ?? null, ...(server.updatedAt !== undefined && { updatedAt: server.updatedAt }) };
      return { kind: "rekey", current, reply: { status: 422, body: outcome.body } };
    }
    case "http": {
      const reply = { status: outcome.status, body: outcome.body };
      const message = `HTTP ${outcome.status}`;
      if (outcome.status === 401 || outcome.status === 403) return { kind: "auth", message, reply };
      if (outcome.status === 409) {
        const current = isRecord(outcome.body) ? outcome.body["current"] : undefined;
        const record = current === null ? null : recordOf(current, "", 0);
        return record === undefined ? { kind: "rejected", message: "A 409 without the server's current record", reply } : { kind: "conflict", current: record as BackendRecord<T> | null, reply };
      }
      if (outcome.status === 408 || outcome.status === 429 || outcome.status >= 500) {
        return { kind: "retry", reason: "server", message, reply, ...(outcome.retryAfterMs !== undefined && { afterMs: outcome.retryAfterMs }) };
      }
      return { kind: "rejected", message, reply };
    }
  }
}

function recordOf(value: unknown, id: string, fallbackVersion: number): (BackendRecord & { version: number }) | undefined {
  if (!isRecord(value)) return undefined;
  const deleted = value["deleted"] === true;
  const record: BackendRecord & { version: number } = {
    id: typeof value["id"] === "string" ? value["id"] : id,
    version: integer(value["version"]) ?? fallbackVersion,
    deleted,
    value: deleted || !isRecord(value["value"]) ? null : (value["value"] as unknown as SyncItem),
  };
  if (typeof value["updatedAt"] === "string") record.updatedAt = value["updatedAt"];
  return record;
}

function replyOf(value: unknown): { status: number; body: unknown } | undefined {
  return isRecord(value) && integer(value["status"]) !== undefined ? { status: value["status"] as number, body: value["body"] } : undefined;
}

function malformed(message: string, body: unknown): SendOutcome {
  return { kind: "malformed", status: 0, message, body };
}

function integer(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** What a transport is given for a request the drain built (its base is the request's precondition). */
export function pushOperationOf<T extends SyncItem>(wire: WireOp): PushOperation<T> {
  const push: PushOperation<T> = { opId: wire.opId, type: wire.method === "DELETE" ? "delete" : "save", id: wire.id };
  if (wire.method === "PUT") push.value = wire.body as T;
  if (wire.method === "PATCH") push.patch = wire.body as Record<string, unknown>;
  if (wire.ifMatch !== undefined) push.baseVersion = wire.ifMatch;
  return push;
}

/**
 * Sends a batch through an app's transport. A transport that throws fails the batch as a whole (the
 * circuit backs off, no operation is blamed); one that answers wrongly gets every operation `malformed`.
 * Throws only when `signal` aborts.
 */
export async function pushThrough<T extends SyncItem>(transport: SyncTransport<T>, wires: readonly WireOp[], signal: AbortSignal): Promise<SendOutcome[]> {
  const ops = wires.map((wire) => pushOperationOf<T>(wire));
  const bases = wires.map((wire) => (wire.ifMatch === undefined ? undefined : { id: wire.id, version: wire.ifMatch }));
  let answers: unknown;
  try {
    answers = await transport.push(ops, { signal });
  } catch (error) {
    signal.throwIfAborted();
    const message = `The transport threw: ${error instanceof Error ? error.message : String(error)}`;
    return ops.map(() => ({ kind: "http", status: 503, body: { error: "transport_failed", message } }));
  }
  return sendOutcomesOf(answers, ops, bases);
}
