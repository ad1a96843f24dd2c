/** Operations over the protocol's HTTP transport, answered as the transport seam's outcomes. */
import type { SyncItem } from "../shared/types.js";
import { pushOutcomeOf } from "./outcomes.js";
import type { PushOperation, PushOutcome } from "./seam.js";
import type { HttpTransport, WireOp } from "./transport.js";

/** The protocol's request for an operation: `If-Match` on its base version, `If-None-Match: *` for a create. */
export function wireOf(op: PushOperation): WireOp {
  const wire: WireOp = { opId: op.opId, id: op.id, method: op.type === "delete" ? "DELETE" : op.patch ? "PATCH" : "PUT" };
  if (op.baseVersion !== undefined) wire.ifMatch = op.baseVersion;
  else if (op.type === "save") wire.ifNoneMatch = "*";
  if (op.type === "save") wire.body = op.patch ?? op.value;
  return wire;
}

/** A push over the protocol, with headers already resolved: the client's default transport, and httpTransport's. */
export async function protocolPush<T extends SyncItem>(http: HttpTransport, ops: readonly PushOperation<T>[], signal: AbortSignal, headers: Record<string, string>): Promise<PushOutcome<T>[]> {
  const outcomes = await http.send(ops.map(wireOf), signal, headers);
  return outcomes.map((outcome) => pushOutcomeOf<T>(outcome));
}

