import { describe, expect, it } from "vitest";
import { clientLabels } from "../../devtools-panel/client-labels";

const client = (frameId: number, clientId: string, name: string) => ({ key: `${frameId}:${clientId}`, frameId, clientId, name });

describe("the client selector's labels", () => {
  it("name a client by its name when no other client shares it", () => {
    expect([...clientLabels([client(0, "todos#1", "todos"), client(0, "notes#2", "notes")]).values()]).toEqual(["todos", "notes"]);
  });

  it("tell clients of one name apart by page id, and by frame outside the top one", () => {
    const labels = clientLabels([client(0, "todos#1", "todos"), client(0, "todos#2", "todos"), client(3, "todos#1", "todos"), client(3, "notes#2", "notes")]);
    expect([...labels.values()]).toEqual(["todos#1", "todos#2", "todos#1 (frame 3)", "notes (frame 3)"]);
    expect(new Set(labels.values()).size).toBe(labels.size);
  });

  it("name a subframe's origin, as the browser reported it, beside its frame", () => {
    const labels = clientLabels([client(0, "todos#1", "todos"), { ...client(4, "ads#1", "ads"), origin: "https://ads.example" }]);
    expect([...labels.values()]).toEqual(["todos", "ads (frame 4, https://ads.example)"]);
  });

  it("stay distinct when a page names its client after another's label", () => {
    const forged = clientLabels([client(0, "todos#1", "todos"), client(0, "todos#2", "todos"), client(0, "x#3", "todos#2"), client(3, "y#1", "todos#1 (frame 3)"), client(3, "todos#1", "todos")]);
    expect(new Set(forged.values()).size).toBe(forged.size);
    expect(forged.get("0:x#3")).toBe("todos#2 [0:x#3]");
  });
});
