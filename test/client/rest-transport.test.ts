/** restTransport against json-server 0.17.4 (the real package): each operation's outcome, and what the server holds. */
import { afterEach, describe, expect, it } from "vitest";
import type { PushOperation } from "../../sdk/transport/seam";
import { restTransport } from "../../sdk/transport/rest";
import { startJsonServer, type JsonServer } from "../support/json-server";
import { startProxy, startReferenceServer, type ProxyDecision } from "../support/servers";

type Todo = { id: string; title: string };
let server: JsonServer;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
const signal = new AbortController().signal;
const save = (id: string, title: string, baseVersion?: number): PushOperation<Todo> => ({ opId: `op-${id}-${title}`, type: "save", id, value: { id, title }, ...(baseVersion !== undefined && { baseVersion }) });
const remove = (id: string): PushOperation<Todo> => ({ opId: `del-${id}`, type: "delete", id, baseVersion: 1 });

describe("restTransport on json-server", () => {
  it("creates with POST, updates with PUT, deletes with DELETE, and takes 'already exists' and 'already gone' as done", async () => {
    server = await startJsonServer();
    closers.push(() => server.close());
    const transport = restTransport<Todo>({ url: `${server.url}/todos` });
    expect((await transport.push([save("a", "one"), save("b", "two")], { signal })).map((outcome) => outcome.kind)).toEqual(["applied", "applied"]);
    // The same create again (its reply lost the first time): json-server answers 500 "duplicate id"; it goes as an update.
    expect((await transport.push([save("a", "one, again")], { signal }))[0]).toMatchObject({ kind: "applied", record: { value: { id: "a", title: "one, again" } } });
    expect((await transport.push([save("b", "two, edited", 1)], { signal }))[0]?.kind).toBe("applied");
    expect((await transport.push([remove("a"), remove("a")], { signal })).map((outcome) => outcome.kind)).toEqual(["applied", "applied"]);
    expect(server.items("todos")).toEqual([{ id: "b", title: "two, edited" }]);
  });

  it("answers an update of an item the backend no longer has as a conflict with no current copy", async () => {
    server = await startJsonServer();
    closers.push(() => server.close());
    const transport = restTransport<Todo>({ url: `${server.url}/todos` });
    expect((await transport.push([save("gone", "edit", 1)], { signal }))[0]).toMatchObject({ kind: "conflict", current: null });
  });

  it("maps a proxy's faults: 503 with Retry-After to retry, a lost connection to unreachable, 401 to auth, 400 to rejected", async () => {
    server = await startJsonServer();
    let next: ProxyDecision = "forward";
    const proxy = await startProxy(server.url, () => next);
    closers.push(() => proxy.close(), () => server.close());
    const transport = restTransport<Todo>({ url: `${proxy.url}/todos` });
    const outcome = async (decision: ProxyDecision) => {
      next = decision;
      return (await transport.push([save("x", decision === "forward" ? "ok" : JSON.stringify(decision))], { signal }))[0];
    };
    expect(await outcome({ refuse: 503 })).toMatchObject({ kind: "retry", reason: "server", reply: { status: 503 } });
    expect(await outcome("drop-before")).toMatchObject({ kind: "retry", reason: "unreachable" });
    expect(await outcome({ refuse: 401 })).toMatchObject({ kind: "auth" });
    expect(await outcome({ refuse: 400 })).toMatchObject({ kind: "rejected", reply: { status: 400 } });
    expect(server.items("todos")).toEqual([]);
    // A lost reply: the create landed; its retry meets "duplicate id" and is applied as an update, once.
    expect(await outcome("drop-after")).toMatchObject({ kind: "retry", reason: "unreachable" });
    expect(await outcome("forward")).toMatchObject({ kind: "applied" });
    expect(server.items("todos")).toEqual([{ id: "x", title: "ok" }]);
  });
});

describe("restTransport on a backend with versions and idempotency keys (the reference server's item routes)", () => {
  it("reads versions from ETag, detects a conflict with If-Match, and with the key header applies a write whose reply was lost once", async () => {
    const reference = await startReferenceServer();
    let next: ProxyDecision = "forward";
    const proxy = await startProxy(reference.url, () => next);
    closers.push(() => proxy.close(), () => reference.close());
    const transport = restTransport<Todo>({ url: `${proxy.url}/api/todos`, create: "put", version: { header: "ETag" }, idempotencyHeader: "Idempotency-Key", unwrap: (body) => body["value"] });

    expect((await transport.push([save("a", "one")], { signal }))[0]).toMatchObject({ kind: "applied", record: { version: 1 } });
    expect((await transport.push([save("a", "two", 1)], { signal }))[0]).toMatchObject({ kind: "applied", record: { version: 2 } });
    // Made on version 1 while the backend is at 2: a conflict, with the backend's copy read back.
    expect((await transport.push([{ ...save("a", "stale", 1), opId: "stale" }], { signal }))[0]).toMatchObject({ kind: "conflict", current: { id: "a", version: 2, value: { id: "a", title: "two" } } });

    next = "drop-after";
    const lost = { ...save("a", "three", 2), opId: "lost-reply" };
    expect((await transport.push([lost], { signal }))[0]).toMatchObject({ kind: "retry", reason: "unreachable" });
    next = "forward";
    expect((await transport.push([lost], { signal }))[0]).toMatchObject({ kind: "applied", record: { version: 3 } });
    expect(reference.store.appliedCount("todos", "lost-reply")).toBe(1);
    expect(reference.store.replayedCount("todos", "lost-reply")).toBe(1);
    expect((await reference.store.get("todos", "a"))?.version).toBe(3);
  });
});
