// The demo app: a todo list on the SyncLens SDK, imported through the package entry ("synclens").
import { createSyncClient } from "synclens";
import { exposeToDevtools } from "synclens/devtools";

const $ = (testId) => document.querySelector(`[data-testid="${testId}"]`);
const endpoint = `${location.origin}/api/todos`;

const conflict = new URLSearchParams(location.search).get("conflict") ?? "merge";
const client = createSyncClient({
  name: "demo-todos",
  endpoint,
  conflict,
  pingUrl: `${location.origin}/_ping`,
  backoff: { baseMs: 500, maxMs: 10_000 },
  triggers: { intervalMs: 10_000 },
});
// For the browser tests and for poking around from the console.
window.synclens = client;
// Visible to the SyncLens DevTools panel (costs nothing until the panel connects).
exposeToDevtools(client);

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** Runs `render` now, or once more right after the run in progress: a burst of changes costs two renders, not one each. */
function coalesced(render) {
  let running = null;
  let again = false;
  return function schedule() {
    if (running) {
      again = true;
      return running;
    }
    running = render().finally(() => {
      running = null;
      if (again) (again = false), schedule();
    });
    return running;
  };
}

const SHOWN = 200;

const renderTodos = coalesced(async () => {
  // Items may come from other clients of the API: no field can be assumed present.
  const todos = (await client.list()).sort((a, b) => String(a.createdAt ?? "").localeCompare(String(b.createdAt ?? "")));
  const more = todos.length > SHOWN ? [element("li", { className: "more", textContent: `… and ${todos.length - SHOWN} older todos` })] : [];
  $("todos").replaceChildren(
    ...more,
    ...todos.slice(-SHOWN).map((todo) => {
      const title = String(todo.title ?? "");
      const toggle = element("input", { type: "checkbox", checked: todo.done === true, title: "done" });
      toggle.addEventListener("change", () => client.save({ ...todo, done: toggle.checked }));
      const remove = element("button", { type: "button", textContent: "Delete", title: `Delete ${title}` });
      remove.addEventListener("click", () => client.delete(todo.id));
      const elsewhere = element("button", { type: "button", textContent: "Edit elsewhere", title: "Another device edits this todo on the server" });
      elsewhere.addEventListener("click", () => editOnAnotherDevice(todo.id));
      const li = element("li", { className: todo.done ? "done" : "" }, toggle, element("span", { className: "title", textContent: title.length > 80 ? `${title.slice(0, 80)}…` : title }), elsewhere, remove);
      li.dataset.id = todo.id;
      return li;
    }),
  );
});

const renderServer = coalesced(async () => {
  if (client.status.forcedOffline) return;
  try {
    const reply = await fetch(endpoint, { cache: "no-store" });
    if (!reply.ok) return;
    const { items } = await reply.json();
    items.sort((a, b) => String(a.value.createdAt).localeCompare(String(b.value.createdAt)));
    $("server-todos").replaceChildren(
      ...items.map((record) => {
        const li = element("li", { className: record.value.done ? "done" : "" }, element("span", { className: "title", textContent: `${record.value.title} (v${record.version})` }));
        li.dataset.id = record.id;
        return li;
      }),
    );
  } catch {
    // Unreachable: the status line already says so.
  }
});

const renderDeadLetters = coalesced(async () => {
  const letters = await client.deadLetters();
  $("dead-letters").replaceChildren(
    ...letters.map((letter) => {
      const retry = element("button", { type: "button", textContent: "Retry" });
      retry.addEventListener("click", () => client.retryDeadLetter(letter.opId));
      const discard = element("button", { type: "button", textContent: "Discard" });
      discard.addEventListener("click", () => client.discardDeadLetter(letter.opId));
      const last = letter.errors.at(-1);
      return element("li", {}, element("span", { textContent: `${letter.type} ${letter.itemId}: ${letter.reason}` }), retry, discard, element("code", { textContent: last ? last.message : "" }));
    }),
  );
});

function renderStatus(status) {
  const badge = $("state");
  badge.textContent = status.forcedOffline ? "offline (forced)" : status.paused ? "paused" : status.state;
  badge.dataset.state = status.state;
  $("pending").textContent = String(status.pending);
  $("dead").textContent = String(status.deadLetters);
  $("last-sync").textContent = status.lastSyncAt ? new Date(status.lastSyncAt).toLocaleTimeString() : "never";
  $("last-error").textContent = status.lastError ? status.lastError.message : "";
  $("offline").checked = status.forcedOffline;
}

$("add-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("new-title");
  const title = input.value.trim();
  if (!title) return;
  input.value = "";
  await client.save({ id: crypto.randomUUID(), title, done: false, createdAt: new Date().toISOString() });
});
$("offline").addEventListener("change", (event) => client.setOffline(event.target.checked));

// ---- ways to provoke what the SyncLens panel shows ----

const FAULTS = {
  off: null,
  errors: { rate: 0.2, kinds: ["status"], status: 503 },
  "lost-replies": { rate: 0.2, kinds: ["drop-after"] },
  slow: { rate: 1, kinds: ["delay"], delayMs: 3000 },
};
$("faults").addEventListener("change", (event) =>
  fetch("/_admin/faults", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(FAULTS[event.target.value] ?? null) }),
);

$("bulk").addEventListener("click", () =>
  Promise.all(Array.from({ length: 1000 }, (_, i) => client.save({ id: crypto.randomUUID(), title: `Bulk todo ${i + 1}`, done: false, createdAt: new Date().toISOString() }))),
);

$("poison").addEventListener("click", () =>
  client.save({ id: crypto.randomUUID(), title: "x".repeat(6_000_000), done: false, createdAt: new Date().toISOString() }),
);

/** Another device changes the todo on the server: the next pull brings a conflict if this tab changed it too. */
async function editOnAnotherDevice(id) {
  const reply = await fetch(`${endpoint}/${encodeURIComponent(id)}`, { cache: "no-store" });
  if (!reply.ok) return;
  const record = await reply.json();
  await fetch(`${endpoint}/${encodeURIComponent(id)}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json", "If-Match": `"${record.version}"`, "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({ ...record.value, title: `${record.value.title} (edited elsewhere)` }),
  });
  renderServer();
}
$("sync-now").addEventListener("click", () => client.sync());

client.on("status", (status) => {
  renderStatus(status);
  renderDeadLetters();
});
client.on("change", renderTodos);
client.on("synced", renderServer);

await client.ready;
renderStatus(client.status);
await Promise.all([renderTodos(), renderDeadLetters(), renderServer()]);
setInterval(renderServer, 2000);
document.body.dataset.ready = "true";
