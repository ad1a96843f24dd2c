// Drain baseline: the same N ops as pre-built `_batch` requests (50 ops each, bodies stringified before
// the clock starts), POSTed sequentially with plain fetch from the page. No IndexedDB at all.
import { makeItem } from "./common.js";

export async function drainFetch({ count, collection, batchSize }) {
  const url = `${location.origin}/api/${collection}/_batch`;
  const bodies = [];
  for (let start = 0; start < count; start += batchSize) {
    const ops = [];
    for (let i = start; i < Math.min(count, start + batchSize); i++) {
      const item = makeItem("drain", i);
      ops.push({ opId: crypto.randomUUID(), id: item.id, method: "PUT", ifNoneMatch: "*", body: item });
    }
    bodies.push(JSON.stringify({ ops }));
  }
  let created = 0;
  const started = performance.now();
  for (const body of bodies) {
    const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    const reply = await response.json();
    if (response.status !== 200) throw new Error(`batch answered ${response.status}`);
    for (const result of reply.results) if (result.status === 201) created++;
  }
  const totalMs = performance.now() - started;
  if (created !== count) throw new Error(`fetch baseline: ${created} of ${count} created`);
  return { count, pushed: created, totalMs, requests: bodies.length };
}
