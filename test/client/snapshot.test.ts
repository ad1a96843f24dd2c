import { describe, expect, it } from "vitest";
import { EventLog } from "../../sdk/observe/event-log";
import { redactSecrets } from "../../sdk/observe/snapshot";
import { SDK_VERSION } from "../../sdk";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();

describe("exportSnapshot", () => {
  it("is a versioned, JSON-serialisable picture of the client, with secrets redacted", async () => {
    const todos = harness.client({ headers: { Authorization: "Bearer s3cret" }, triggers: { onWrite: false } });
    await todos.save({ id: "a", title: "synced" });
    await todos.sync();
    await todos.save({ id: "b", title: "pending", password: "hunter2", nested: { apiKey: "k", keep: 1 } } as never);
    const snapshot = await todos.exportSnapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(snapshot).toMatchObject({
      format: "synclens-snapshot",
      version: 1,
      sdkVersion: SDK_VERSION,
      client: { name: todos.name, endpoint: `${harness.server.url}/api/todos` },
      status: { pending: 1, deadLetters: 0, conflicts: 0, lastError: null },
      metrics: { successes: 1 },
      queueTruncated: 0,
      deadLetters: [],
      conflicts: [],
    });
    expect(snapshot.options).toMatchObject({ headers: { Authorization: "[redacted]" }, batchSize: 50, conflict: "merge" });
    expect(JSON.stringify(snapshot)).not.toContain("s3cret");
    expect(snapshot.queue[0]!.value).toEqual({ id: "b", title: "pending", password: "[redacted]", nested: { apiKey: "[redacted]", keep: 1 } });
    expect(JSON.stringify(snapshot)).not.toContain("hunter2");
    expect(snapshot.events.map((event) => event.type)).toEqual(expect.arrayContaining(["write", "send", "reply", "status", "pull"]));
  });

  it("redacts server bodies in dead letters too, through a custom redact option", async () => {
    const todos = harness.client({ redact: () => "[hidden]", triggers: { onWrite: false } });
    harness.server.faults.set({ rate: 1, kinds: ["status"], status: 503 });
    await todos.save({ id: "a", title: "x" });
    await todos.sync();
    harness.server.faults.set(null);
    const snapshot = await todos.exportSnapshot();
    expect(snapshot.queue[0]!.value).toBe("[hidden]");
    expect(snapshot.queue[0]!.errors.every((error) => error.body === undefined || error.body === "[hidden]")).toBe(true);
  });

  it("bounds the queue it exports", async () => {
    const todos = harness.client({ triggers: { onWrite: false } });
    for (let i = 0; i < 30; i++) await todos.save({ id: `t${i}`, title: "x" });
    const snapshot = await todos.exportSnapshot({ queueLimit: 10 });
    expect(snapshot.queue).toHaveLength(10);
    expect(snapshot.queueTruncated).toBe(20);
    // 0 would mean "no limit" to IndexedDB: refused, as is anything but a positive integer.
    for (const queueLimit of [0, -1, 2.5]) await expect(todos.exportSnapshot({ queueLimit })).rejects.toMatchObject({ code: "invalid_argument" });
  });
});

describe("timeline", () => {
  it("keeps the last eventLogSize entries, oldest first, and streams them as `log` events", async () => {
    const todos = harness.client({ eventLogSize: 3, triggers: { onWrite: false } });
    const streamed: string[] = [];
    todos.on("log", (event) => streamed.push(event.summary));
    for (const id of ["a", "b", "c", "d"]) await todos.save({ id, title: id });
    expect(todos.timeline().map((event) => event.summary)).toEqual(["save b (create)", "save c (create)", "save d (create)"]);
    expect(streamed).toHaveLength(4);
  });

  it("EventLog is a ring buffer", () => {
    const log = new EventLog(2);
    for (const n of [1, 2, 3]) log.record({ seq: n, at: n, type: "write", summary: String(n) });
    expect(log.list().map((event) => event.at)).toEqual([2, 3]);
    expect(new EventLog(0).list()).toEqual([]);
  });

  it("redactSecrets replaces secret-looking fields at any depth and leaves the rest", () => {
    expect(redactSecrets({ token: 1, list: [{ Cookie: "c", ok: true }], sessionId: "s", title: "t" })).toEqual({
      token: "[redacted]",
      list: [{ Cookie: "[redacted]", ok: true }],
      sessionId: "[redacted]",
      title: "t",
    });
  });
});

describe("queue observation", () => {
  it("reports operations added, changed and removed, by seq, as they happen", async () => {
    const todos = harness.client({ triggers: { onWrite: false } });
    const changes: unknown[] = [];
    todos.on("queue", (change) => changes.push("reset" in change ? "reset" : { added: change.added.map((op) => op.seq), changed: change.changed.map((op) => `${op.seq}:${op.attempts}`), removed: change.removed }));
    await todos.save({ id: "a", title: "1" });
    await todos.save({ id: "a", title: "2" });
    await todos.save({ id: "b", title: "x" });
    await todos.delete("b");
    await todos.sync();
    expect(changes).toEqual([
      "reset", // on open: read queue() once
      { added: [1], changed: [], removed: [] },
      { added: [], changed: ["1:0"], removed: [] },
      { added: [2], changed: [], removed: [] },
      { added: [], changed: [], removed: [2] },
      { added: [], changed: ["1:1"], removed: [] },
      { added: [], changed: [], removed: [1] },
    ]);
  });
});
