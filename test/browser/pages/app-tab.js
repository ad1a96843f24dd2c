// One tab of an app, as a user has it: a SyncLens client (default options but fast backoff) over the
// database that every tab with the same ?name= shares, driven by the test through window.app.
import { createSyncClient } from "/sdk/synclens.bundle.js";

const name = new URLSearchParams(location.search).get("name") ?? "app";
const client = createSyncClient({
  name,
  endpoint: `${location.origin}/api/todos`,
  pingUrl: `${location.origin}/_ping`,
  backoff: { baseMs: 50, maxMs: 500 },
  triggers: { intervalMs: 500 },
});
let releaseLock;
let second;

window.app = {
  ready: client.ready.then(() => true),
  save: (id, title) => client.save({ id, title }).then(() => undefined),
  remove: (id) => client.delete(id),
  sync: () => client.sync(),
  status: () => ({ ...client.status, lastError: client.status.lastError?.message ?? null }),
  async state() {
    const [items, deadLetters, conflicts, queue] = await Promise.all([client.list(), client.deadLetters(), client.conflicts(), client.queue()]);
    return { items, deadLetters, conflicts, queue, status: window.app.status() };
  },
  /** Holds the drain lock as another tab's drain would: no client of this database sends until released. */
  holdDrainLock: () =>
    new Promise((held) => {
      navigator.locks.request(`synclens:${name}:drain`, () => {
        held();
        return new Promise((release) => (releaseLock = release));
      });
    }),
  releaseDrainLock: () => releaseLock?.(),
  /** Opens a second tab of the app, which this one may close (a script may close what it opened). */
  openSecond: () => void (second = window.open(location.href, "_blank")),
  closeSecond: () => second?.close(),
};
