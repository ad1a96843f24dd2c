/**
 * Everything above the transport, over a second transport: an in-memory backend with versions and a change
 * feed, reached only through `push` and `pull`. Coalescing, per-item order, backoff, dead letters, conflicts
 * and their strategies, auth, metrics, the timeline and snapshots work as they do over the protocol; a
 * transport that throws or answers wrongly loses nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PushOperation, PushOutcome, SyncTransport } from "../../sdk";
import { testClient, waitFor, type Todo } from "../support/client";

const clients: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

type Stored = { version: number; value: Todo | null };

/** A backend in memory: records with versions, a change feed, and a hook to answer an operation otherwise. */
function memoryBackend() {
  const records = new Map<string, Stored>();
  const feed: Array<{ id: string; version: number; value: Todo | null }> = [];
  const pushes: Array<Array<PushOperation<Todo>>> = [];
  let intercept: ((op: PushOperation<Todo>) => PushOutcome<Todo> | undefined) | undefined;

  const write = (id: string, value: Todo | null) => {
    const version = (records.get(id)?.version ?? 0) + 1;
    records.set(id, { version, value });
    feed.push({ id, version, value });
    return version;
  };
  const apply = (op: PushOperation<Todo>): PushOutcome<Todo> => {
    const current = records.get(op.id);
    const live = current && current.value !== null ? current : undefined;
    if ((op.baseVersion ?? 0) !== (live?.version ?? 0) && !(op.type === "delete" && !live)) {
      return { kind: "conflict", current: live ? { id: op.id, version: live.version, value: live.value } : null };
    }
    const version = write(op.id, op.type === "delete" ? null : op.value!);
    return { kind: "applied", record: { version, value: op.type === "delete" ? null : op.value!, updatedAt: new Date().toISOString() } };
  };
  const transport: SyncTransport<Todo> = {
    async push(ops) {
      pushes.push([...ops]);
      return ops.map((op) => intercept?.(op) ?? apply(op));
    },
    async pull(cursor, { limit }) {
      const after = Number(cursor ?? 0);
      const page = feed.slice(after, after + limit);
      return {
        kind: "page",
        changes: page.map((change) => ({ id: change.id, version: change.version, deleted: change.value === null, value: change.value })),
        cursor: String(after + page.length),
        hasMore: after + page.length < feed.length,
      };
    },
  };
  return {
    transport,
    records,
    pushes,
    /** Another device's write, straight into the backend. */
    writeElsewhere: write,
    answer(fn: typeof intercept) {
      intercept = fn;
    },
  };
}

function clientOver(transport: SyncTransport<Todo>, options: Parameters<typeof testClient>[1] = {}) {
  const client = testClient("https://backend.example/todos", { transport, triggers: { onWrite: false, intervalMs: 0 }, ...options });
  clients.push(client);
  return client;
}

describe("a client over an app's own transport", () => {
  it("coalesces, keeps per-item order, and pushes through it; metrics count its pushes", async () => {
    const backend = memoryBackend();
    const client = clientOver(backend.transport);
    await client.save({ id: "a", title: "1" });
    await client.save({ id: "a", title: "2" }); // coalesced into the unsent create
    await client.save({ id: "b", title: "b" });
    await client.delete("b"); // an unsent create and its delete cancel out
    await client.save({ id: "c", title: "c" });
    expect(await client.sync()).toMatchObject({ pushed: 2, remaining: 0 });
    expect(backend.pushes.map((ops) => ops.map((op) => [op.id, op.type, op.value?.title, op.baseVersion]))).toEqual([[["a", "save", "2", undefined], ["c", "save", "c", undefined]]]);

    await client.save({ id: "a", title: "3" });
    await client.delete("c");
    await client.sync();
    expect(backend.pushes[1]!.map((op) => [op.id, op.type, op.baseVersion])).toEqual([["a", "save", 1], ["c", "delete", 1]]);
    expect(backend.records.get("a")).toEqual({ version: 2, value: { id: "a", title: "3" } });
    expect(backend.records.get("c")).toEqual({ version: 2, value: null });
    expect(client.metrics()).toMatchObject({ successes: 4, requests: 2 });
  });

  it("backs off on retry and delivers later; dead-letters a rejected operation with its reply, and retries it on request", async () => {
    const backend = memoryBackend();
    const client = clientOver(backend.transport);
    backend.answer(() => ({ kind: "retry", reason: "server", message: "busy", reply: { status: 503, body: "busy" } }));
    await client.save({ id: "a", title: "1" });
    const busy = await client.sync();
    expect(busy).toMatchObject({ pushed: 0, deadLettered: 0 });
    expect(busy.retried).toBeGreaterThan(0);
    expect(client.status.lastError).toMatchObject({ code: "http", status: 503 });
    backend.answer((op) => (op.value?.title === "poison" ? { kind: "rejected", message: "no", reply: { status: 422, body: { error: "invalid" } } } : undefined));
    await client.save({ id: "p", title: "poison" });
    await waitFor(async () => (await client.sync()).remaining === 0, 5000, "the retry to land");
    expect(backend.records.get("a")?.value).toEqual({ id: "a", title: "1" });
    const [letter] = await client.deadLetters();
    expect(letter).toMatchObject({ itemId: "p", reason: "rejected", reply: { status: 422, body: { error: "invalid" } } });

    backend.answer(undefined);
    await client.retryDeadLetter(letter!.opId);
    await client.sync();
    expect(await client.deadLetters()).toEqual([]);
    expect(backend.records.get("p")?.value).toEqual({ id: "p", title: "poison" });
  });

  it("resolves conflicts by its strategy (server wins, or by hand), and pulls other devices' writes", async () => {
    const backend = memoryBackend();
    const client = clientOver(backend.transport, { conflict: "server-wins" });
    await client.save({ id: "x", title: "mine" });
    await client.sync();
    backend.writeElsewhere("x", { id: "x", title: "theirs" });
    backend.writeElsewhere("y", { id: "y", title: "new elsewhere" });
    await client.save({ id: "x", title: "mine, edited" });
    await client.sync();
    expect(await client.get("x")).toEqual({ id: "x", title: "theirs" });
    expect(await client.get("y")).toEqual({ id: "y", title: "new elsewhere" });

    const manual = clientOver(backend.transport, { conflict: "manual", name: "manual" });
    await manual.sync();
    backend.writeElsewhere("y", { id: "y", title: "theirs again" });
    await manual.save({ id: "y", title: "mine" });
    await manual.sync();
    const [conflict] = await manual.conflicts();
    expect(conflict).toMatchObject({ id: "y", local: { title: "mine" }, server: { title: "theirs again" } });
    await manual.resolveConflict("y", "local");
    await manual.sync();
    expect(backend.records.get("y")?.value).toEqual({ id: "y", title: "mine" });
  });

  it("waits on auth without dead-lettering, until resume()", async () => {
    const backend = memoryBackend();
    const client = clientOver(backend.transport);
    backend.answer(() => ({ kind: "auth", message: "token expired" }));
    await client.save({ id: "a", title: "1" });
    await client.sync();
    expect(client.status.blocked).toMatchObject({ reason: "auth" });
    expect(await client.deadLetters()).toEqual([]);
    backend.answer(undefined);
    client.resume();
    await waitFor(() => client.status.pending === 0, 5000, "the queue to drain after resume");
    expect(backend.records.get("a")?.version).toBe(1);
  });

  it("loses nothing to a transport that throws or answers wrongly: the batch is retried, then dead-lettered after maxRetries, with the reason", async () => {
    const throwing: SyncTransport<Todo> = {
      async push() {
        throw new Error("the SDK of the backend crashed");
      },
    };
    const client = clientOver(throwing);
    await client.save({ id: "a", title: "1" });
    const failed = await client.sync();
    expect(failed).toMatchObject({ pushed: 0, deadLettered: 0 });
    expect(failed.retried).toBeGreaterThan(0);
    expect(client.status.lastError?.message).toContain("The transport threw: the SDK of the backend crashed");
    expect(client.status.pending).toBe(1);

    const miscounting: SyncTransport<Todo> = { push: async () => [] };
    const other = clientOver(miscounting, { maxRetries: 1, name: "miscounting" });
    await other.save({ id: "b", title: "1" });
    await waitFor(async () => (await other.sync()).remaining === 0, 5000, "the operation to end as a dead letter");
    expect(await other.deadLetters()).toMatchObject([{ itemId: "b", reason: "max_retries", value: { id: "b", title: "1" } }]);
    expect((await other.deadLetters())[0]!.errors.at(-1)?.message).toContain("answered 0 outcomes for 1 operations");
  });

  it("keeps the timeline and the snapshot: each push, its outcome, and the queue", async () => {
    const backend = memoryBackend();
    const client = clientOver(backend.transport);
    backend.answer(() => ({ kind: "retry", reason: "unreachable", message: "no route" }));
    await client.save({ id: "a", title: "1" });
    await client.sync();
    const snapshot = await client.exportSnapshot();
    expect(snapshot.queue).toHaveLength(1);
    expect(JSON.stringify(client.timeline())).toContain("no route");
    expect(snapshot.options).toMatchObject({ endpoint: "https://backend.example/todos" });
  });
});
