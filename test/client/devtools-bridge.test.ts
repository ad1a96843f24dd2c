import { describe, expect, it } from "vitest";
import { droppedMessages, exposeToDevtools, type BridgeTarget } from "../../sdk/bridge/devtools";
import { envelope, LIMITS, MESSAGE_TAG, parseEnvelope, type PageMessage, type PanelMessage } from "../../sdk/bridge/protocol";
import { refusingBatches, waitFor } from "../support/client";
import { useReferenceServer } from "../support/harness";

const harness = useReferenceServer();

/**
 * Stands in for `window`: records what the page posts, as the content script would take it (size and
 * shape checked), and delivers what the content script would send.
 */
class PageWindow implements BridgeTarget {
  readonly posted: PageMessage[] = [];
  /** What the content script would have dropped, and why. */
  readonly refused: string[] = [];
  readonly #listeners = new Set<(event: MessageEvent) => void>();
  postMessage(message: unknown): void {
    expect((message as { tag: string }).tag).toBe(MESSAGE_TAG);
    const parsed = parseEnvelope(message, "page");
    if (parsed.ok) this.posted.push(parsed.message as PageMessage);
    else this.refused.push(`${parsed.reason}: ${parsed.detail}`);
  }
  addEventListener(_type: "message", listener: (event: MessageEvent) => void): void {
    this.#listeners.add(listener);
  }
  removeEventListener(_type: "message", listener: (event: MessageEvent) => void): void {
    this.#listeners.delete(listener);
  }
  deliver(data: unknown, source: unknown = this): void {
    for (const listener of this.#listeners) listener({ data, source } as MessageEvent);
  }
  send(message: PanelMessage): void {
    this.deliver(envelope(message));
  }
  of<K extends PageMessage["type"]>(type: K): Extract<PageMessage, { type: K }>[] {
    return this.posted.filter((message): message is Extract<PageMessage, { type: K }> => message.type === type);
  }
}

async function reply(page: PageWindow, requestId: number) {
  await waitFor(() => page.of("reply").some((message) => message.requestId === requestId), 5000, `reply ${requestId}`);
  return page.of("reply").find((message) => message.requestId === requestId)!;
}

describe("the page side of the DevTools bridge", () => {
  it("costs nothing until a panel connects: nothing is posted", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page });
    for (let i = 0; i < 20; i++) await todos.save({ id: `t${i}`, title: "x" });
    await todos.sync();
    expect(page.posted).toEqual([{ type: "announce", protocol: 1 }]); // once, and nothing else
  });

  it("on connect: a hello naming every client, then each client's state; then batched deltas", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    const notes = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page });
    exposeToDevtools(notes, { target: page });
    await todos.save({ id: "a", title: "queued" });
    page.send({ type: "connect", protocol: 1 });
    expect(page.of("hello")[0]).toMatchObject({ protocol: 1, clients: [{ name: todos.name }, { name: notes.name }] });
    await waitFor(() => page.of("snapshot").length === 2, 5000, "both states");
    const state = page.of("snapshot").find((message) => message.snapshot && (message.snapshot as { name: string }).name === todos.name)!;
    expect(state.snapshot).toMatchObject({ status: { pending: 1 }, queue: [{ itemId: "a", type: "create" }], deadLetters: [], conflicts: [] });

    for (let i = 0; i < 30; i++) await todos.save({ id: `burst${i}`, title: "x" });
    await waitFor(() => page.of("delta").some((delta) => delta.entries.some((entry) => entry.part === "queue")), 5000, "a queue delta");
    const deltas = page.of("delta").filter((delta) => delta.clientId === state.clientId);
    expect(deltas.length).toBeLessThan(5); // 30 writes, batched per ~100 ms
    const queued = deltas.flatMap((delta) => delta.entries.flatMap((entry) => (entry.part === "queue" ? entry.changed : [])));
    expect(queued.length).toBeGreaterThanOrEqual(30);
    expect(deltas.flatMap((delta) => delta.entries.filter((entry) => entry.part === "events"))).not.toHaveLength(0);
  });

  it("a client that closes leaves the panel: a goodbye, and none named in the next hello", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    const notes = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page });
    exposeToDevtools(notes, { target: page });
    page.send({ type: "connect", protocol: 1 });
    await waitFor(() => page.of("snapshot").length === 2, 5000, "both states");
    const [first] = page.of("hello")[0]!.clients;
    await todos.close();
    expect(page.of("goodbye")).toEqual([{ type: "goodbye", clientId: first!.clientId }]);
    page.send({ type: "disconnect" });
    await notes.close(); // closed while no panel is connected: the next panel never hears of it
    const hellos = page.of("hello").length;
    page.send({ type: "connect", protocol: 1 });
    expect(page.of("hello")[hellos]!.clients).toEqual([]);
  });

  it("a page with more clients than a hello may name still says hello, with the first LIMITS.clients", async () => {
    const page = new PageWindow(); // it throws on any message the panel side would refuse
    for (let i = 0; i <= LIMITS.clients; i++) exposeToDevtools(harness.client({ triggers: { onWrite: false } }), { target: page });
    page.send({ type: "connect", protocol: 1 });
    expect(page.of("hello")[0]!.clients).toHaveLength(LIMITS.clients);
  });

  it("commands act through the public API and are answered, errors included", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page });
    page.send({ type: "connect", protocol: 1 });
    await waitFor(() => page.of("hello").length === 1, 2000, "hello");
    const clientId = page.of("hello")[0]!.clients[0]!.clientId;
    page.send({ type: "command", requestId: 1, clientId, command: { name: "setOffline", offline: true } });
    expect(await reply(page, 1)).toMatchObject({ ok: true, result: { forcedOffline: true, state: "offline" } });
    expect(todos.status.forcedOffline).toBe(true);
    page.send({ type: "command", requestId: 2, clientId, command: { name: "retryDeadLetter", opId: "nope" } });
    expect(await reply(page, 2)).toMatchObject({ ok: false, error: { code: "not_found" } });
    page.send({ type: "command", requestId: 3, clientId: "ghost#9", command: { name: "sync" } });
    expect(await reply(page, 3)).toMatchObject({ ok: false, error: { code: "not_found" } });
    page.send({ type: "command", requestId: 4, clientId, command: { name: "setOffline", offline: false } });
    await todos.save({ id: "a", title: "x" });
    page.send({ type: "command", requestId: 5, clientId, command: { name: "sync" } });
    expect(await reply(page, 5)).toMatchObject({ ok: true, result: { pushed: 1 } });
    page.send({ type: "command", requestId: 6, clientId, command: { name: "exportSnapshot" } });
    expect(await reply(page, 6)).toMatchObject({ ok: true, result: { format: "synclens-snapshot" } });
  });

  it("export fits one message: fewer operations when the queue is too large, then trimmed values, never nothing", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page });
    todos.setOffline(true);
    for (let i = 0; i < 1500; i++) await todos.save({ id: `t${i}`, title: "x".repeat(1800) }); // 2.8 MB of queue
    page.send({ type: "connect", protocol: 1 });
    await waitFor(() => page.of("hello").length === 1, 2000, "hello");
    const clientId = page.of("hello")[0]!.clients[0]!.clientId;
    page.send({ type: "command", requestId: 1, clientId, command: { name: "exportSnapshot" } });
    const fewer = await reply(page, 1);
    expect(fewer).toMatchObject({ ok: true, result: { format: "synclens-snapshot" } });
    const cut = (fewer as { result: { queue: unknown[]; queueTruncated: number; trimmedForBridge?: boolean } }).result;
    expect(cut.queue.length).toBeGreaterThan(0);
    expect(cut.queue.length + cut.queueTruncated).toBe(1500);
    expect(cut.trimmedForBridge).toBeUndefined();

    const notes = harness.client({ triggers: { onWrite: false } });
    notes.setOffline(true);
    await notes.save({ id: "huge", title: "y".repeat(1_200_000) }); // one operation alone over the bridge's limit
    exposeToDevtools(notes, { target: page });
    const notesId = page.of("hello").at(-1)!.clients.at(-1)!.clientId;
    page.send({ type: "command", requestId: 2, clientId: notesId, command: { name: "exportSnapshot" } });
    expect(await reply(page, 2)).toMatchObject({ ok: true, result: { format: "synclens-snapshot", queue: [{ itemId: "huge" }], trimmedForBridge: true } });
  });

  it("expand returns what a marker stands for, by the operation's seq, whole strings, absolute paths for deeper levels", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page, trim: { depth: 3, string: 10, list: 20 } });
    await todos.save({ id: "first", title: "short" });
    await todos.save({ id: "a", title: "a very long title indeed" });
    page.send({ type: "connect", protocol: 1 });
    await waitFor(() => page.of("snapshot").length === 1, 2000, "state");
    const clientId = page.of("hello")[0]!.clients[0]!.clientId;
    const [, op] = await todos.queue();
    const shown = (page.of("snapshot")[0]!.snapshot as { queue: { value: { title: unknown } }[] }).queue[1]!;
    expect(shown.value.title).toMatchObject({ $synclens: "more", path: ["queue", op!.seq, "value", "title"] });
    // The first operation leaves the queue: a path by index would now point at the wrong one.
    await todos.sync();
    await todos.save({ id: "a", title: "a very long title indeed", deep: { a: { b: { c: 1 } } } } as never);
    const [current] = await todos.queue();
    page.send({ type: "command", requestId: 1, clientId, command: { name: "expand", path: ["queue", current!.seq, "value"] } });
    expect(await reply(page, 1)).toMatchObject({ ok: true, result: { id: "a", title: "a very long title indeed", deep: { a: { b: { $synclens: "more", kind: "object", path: ["queue", current!.seq, "value", "deep", "a", "b"] } } } } });
    page.send({ type: "command", requestId: 2, clientId, command: { name: "expand", path: ["queue", op!.seq, "value"] } });
    expect(await reply(page, 2)).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it("sends a long queue whole: the first 1,000 in the state, the rest by queue pages, bursts split across deltas", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page });
    for (let i = 0; i < 1200; i++) await todos.save({ id: `t${i}`, title: "x" });
    page.send({ type: "connect", protocol: 1 });
    await waitFor(() => page.of("snapshot").length === 1, 5000, "state");
    const clientId = page.of("hello")[0]!.clients[0]!.clientId;
    const first = (page.of("snapshot")[0]!.snapshot as { queue: { seq: number }[] }).queue;
    expect(first).toHaveLength(1000);
    page.send({ type: "command", requestId: 1, clientId, command: { name: "queue", after: first.at(-1)!.seq, limit: 1000 } });
    const rest = (await reply(page, 1)) as { ok: true; result: { itemId: string }[] };
    expect(rest.result.map((op) => op.itemId)).toEqual(Array.from({ length: 200 }, (_, i) => `t${1000 + i}`));

    // 1,200 new operations between two flushes: more than one delta may carry, so several go, each valid
    // (PageWindow parses every message as a panel would), and together they carry every operation.
    await Promise.all(Array.from({ length: 1200 }, (_, i) => todos.save({ id: `u${i}`, title: "y" })));
    await waitFor(() => new Set(page.of("delta").flatMap((delta) => delta.entries.flatMap((entry) => (entry.part === "queue" ? entry.changed : [])).map((op) => (op as { itemId: string }).itemId))).size >= 1200, 10_000, "every new operation");
    expect(page.of("delta").length).toBeGreaterThanOrEqual(3);
  });

  it("sends the first dead letters that fit one message beside the queue, however many there are; the status counts them all", async () => {
    const page = new PageWindow();
    const fields = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, "z".repeat(290)]));
    const todos = harness.client({ triggers: { onWrite: false }, fetch: refusingBatches(() => true), batchSize: 200, compressAboveBytes: false });
    exposeToDevtools(todos, { target: page });
    const refuse = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await todos.save({ id: `d${i}`, title: "refused", ...fields });
      await todos.sync();
    };
    await refuse(0, 40); // about 160 KB of letters: all of them fit
    page.send({ type: "connect", protocol: 1 });
    await waitFor(() => page.of("snapshot").length === 1 || page.refused.length > 0, 5000, "state");
    expect(page.refused).toEqual([]);
    const state = page.of("snapshot")[0]!.snapshot as { status: { deadLetters: number }; deadLetters: { itemId: string }[] };
    expect([state.status.deadLetters, state.deadLetters.length]).toEqual([40, 40]);

    await refuse(40, 600); // about 2.4 MB: the first ones that fit go, and the delta (status, queue and all) arrives
    expect(todos.status.deadLetters).toBe(600);
    const lettersSent = () => page.of("delta").flatMap((delta) => delta.entries).filter((entry) => entry.part === "deadLetters") as { value: { itemId: string }[] }[];
    await waitFor(() => lettersSent().some((entry) => entry.value.length > 40) || page.refused.length > 0, 5000, "a dead-letter delta");
    expect(page.refused).toEqual([]);
    const sent = lettersSent().at(-1)!.value;
    expect(sent.length).toBeGreaterThan(40);
    expect(sent.length).toBeLessThanOrEqual(LIMITS.deltaEntries);
    expect(sent[0]!.itemId).toBe("d0"); // the oldest first, as deadLetters() lists them
  });

  it("pages the queue by bytes when its items are large", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page });
    const fields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, "z".repeat(290)]));
    for (let i = 0; i < 120; i++) await todos.save({ id: `big${i}`, title: "big", ...fields });
    page.send({ type: "connect", protocol: 1 });
    await waitFor(() => page.of("snapshot").length === 1, 5000, "state");
    const first = (page.of("snapshot")[0]!.snapshot as { queue: { seq: number }[] }).queue;
    expect(JSON.stringify(first).length).toBeLessThanOrEqual(LIMITS.queueBytes);
    expect(first.length).toBeGreaterThan(10);
    expect(first.length).toBeLessThan(120);
  });

  it("drops and counts malformed messages and panel messages from other windows, ignores other tools, stops on disconnect", async () => {
    const page = new PageWindow();
    const todos = harness.client({ triggers: { onWrite: false } });
    exposeToDevtools(todos, { target: page });
    page.deliver({ tag: MESSAGE_TAG, from: "panel", message: { type: "command", requestId: "x" } });
    page.deliver({ tag: MESSAGE_TAG, from: "panel", message: { type: "rm -rf" } });
    page.deliver({ tag: MESSAGE_TAG, from: "panel", message: "connect" });
    page.deliver(envelope({ type: "goodbye", clientId: "c" })); // from "page": an echo, skipped
    page.deliver({ tag: "someone-else", message: { type: "connect", protocol: 1 } });
    page.deliver(envelope({ type: "connect", protocol: 1 }), { notThePage: true });
    expect(droppedMessages(page)).toEqual({ malformed: 1, unknown_type: 1, not_an_object: 1, untrusted_source: 1 });
    expect(page.of("hello")).toEqual([]);
    page.send({ type: "connect", protocol: 1 });
    await waitFor(() => page.of("snapshot").length === 1, 2000, "state");
    page.send({ type: "disconnect" });
    const count = page.posted.length;
    for (let i = 0; i < 5; i++) await todos.save({ id: `t${i}`, title: "x" });
    await todos.sync();
    expect(page.posted).toHaveLength(count);
  });
});
