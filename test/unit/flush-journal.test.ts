import { describe, expect, it } from "vitest";
import { FlushJournal, type KeyValueStorage } from "../../sdk/storage/flush-journal";
import { webStorageItems } from "../../sdk/storage/storage";

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
    removeItem: (key) => void data.delete(key),
  };
}

describe("FlushJournal", () => {
  it("accumulates fired seqs per database, forgets marked ones, and removes its key when empty", () => {
    const storage = memoryStorage();
    const journal = new FlushJournal("todos", storage);
    const other = new FlushJournal("notes", storage);
    journal.record([3, 4]);
    journal.record([4, 7]);
    other.record([1]);
    expect(journal.read()).toEqual([3, 4, 7]);
    expect(new FlushJournal("todos", storage).read()).toEqual([3, 4, 7]); // what a later page reads
    journal.forget([3, 7]);
    expect(journal.read()).toEqual([4]);
    journal.forget([4]);
    expect([...storage.data.keys()]).toEqual(["synclens-fired:notes"]);
  });

  it("reads garbage as empty, keeping only safe integers", () => {
    const storage = memoryStorage();
    const journal = new FlushJournal("todos", storage);
    for (const text of ["{", '"x"', '{"a":1}', "null"]) {
      storage.data.set("synclens-fired:todos", text);
      expect(journal.read()).toEqual([]);
    }
    storage.data.set("synclens-fired:todos", '[1, "2", 3.5, 4, null]');
    expect(journal.read()).toEqual([1, 4]);
  });

  it("keeps at most 1,000 entries, the newest", () => {
    const journal = new FlushJournal("todos", memoryStorage());
    journal.record(Array.from({ length: 1200 }, (_, i) => i));
    expect(journal.read()).toHaveLength(1000);
    expect(journal.read()[0]).toBe(200);
  });

  it("does nothing, and never throws, without storage or when storage refuses", () => {
    const none = new FlushJournal("todos", undefined);
    none.record([1]);
    expect(none.read()).toEqual([]);
    const refusing: KeyValueStorage = {
      getItem: () => {
        throw new DOMException("denied", "SecurityError");
      },
      setItem: () => {
        throw new DOMException("full", "QuotaExceededError");
      },
      removeItem: () => undefined,
    };
    const journal = new FlushJournal("todos", refusing);
    expect(() => journal.record([1])).not.toThrow();
    expect(journal.read()).toEqual([]);
  });

  it("shares localStorage with an app's items without touching them: an item may be called \"fired\"", async () => {
    const data = new Map<string, string>();
    const storage: Storage = {
      get length() {
        return data.size;
      },
      key: (index) => [...data.keys()][index] ?? null,
      getItem: (key) => data.get(key) ?? null,
      setItem: (key, value) => void data.set(key, value),
      removeItem: (key) => void data.delete(key),
      clear: () => data.clear(),
    };
    const items = webStorageItems<{ id: string; title: string }>(storage, "todos");
    await items.put({ id: "fired", title: "the app's" });
    const journal = new FlushJournal("todos", storage);
    journal.record([1, 2]);
    expect(await items.list()).toEqual([{ id: "fired", title: "the app's" }]);
    journal.forget([1, 2]);
    expect(await items.list()).toEqual([{ id: "fired", title: "the app's" }]);
  });
});
