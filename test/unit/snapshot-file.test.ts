import { describe, expect, it, vi } from "vitest";

vi.mock("webextension-polyfill", () => ({ default: {} }));
const { readSnapshotFile } = await import("../../devtools-panel/snapshot-file");

const file = (snapshot: unknown, name = "bug.json") => new File([typeof snapshot === "string" ? snapshot : JSON.stringify(snapshot)], name);
const base = { format: "synclens-snapshot", version: 1, client: { name: "todos" } };

describe("reading a snapshot file (untrusted input)", () => {
  it("reads an exported snapshot into a read-only client view", async () => {
    const { client } = await readSnapshotFile(file({ ...base, queue: [{ seq: 1, itemId: "a" }], deadLetters: [{ seq: 2 }], events: [{ type: "write" }] }));
    expect([client.name, client.queue.size, client.deadLetters.length, client.events.length]).toEqual(["todos", 1, 1, 1]);
  });

  it("refuses a file nested deeper than the views can walk, with a message a person can act on", async () => {
    const deep = `${'{"a":'.repeat(30_000)}1${"}".repeat(30_000)}`;
    const text = JSON.stringify({ ...base, conflicts: [{ id: "x", local: "PLACEHOLDER" }] }).replace('"PLACEHOLDER"', deep);
    await expect(readSnapshotFile(file(text, "deep.json"))).rejects.toThrow("deep.json nests deeper than 100 levels");
  });

  it("reads no more of each list than the panel shows of a live page", async () => {
    const events = Array.from({ length: 200_000 }, (_, i) => ({ type: "write", i }));
    const deadLetters = Array.from({ length: 5000 }, (_, seq) => ({ seq }));
    const { client } = await readSnapshotFile(file({ ...base, events, deadLetters }));
    expect(client.events).toHaveLength(500);
    expect(client.events.at(-1)).toMatchObject({ i: 199_999 });
    expect(client.deadLetters).toHaveLength(1000);
  });

  it("caps every string before it renders: a 15 MB exportedAt or item field cannot freeze the panel", async () => {
    const huge = "x".repeat(15_000_000);
    const header = await readSnapshotFile(file({ ...base, exportedAt: huge }));
    expect(header.exportedAt).toHaveLength(100);
    const read = await readSnapshotFile(file({ ...base, queue: [{ seq: 1, itemId: "a", value: { note: huge } }] }));
    const note = (read.client.queue.get(1)!["value"] as { note: string }).note;
    expect(note.length).toBeLessThan(10_100);
    expect(note).toMatch(/15,000,000 characters; cut by the panel\)$/);
  });
});
