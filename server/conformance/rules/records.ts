/** Records and versions: what a write answers, what reads answer, how ids travel in URLs. */
import { check, expectError, expectEtag, expectRecord, expectStatus, isObject, jsonEqual, sameRecord, show } from "../check.js";
import type { Rule } from "../context.js";
import type { Reply } from "../http.js";
import { create, get, itemUrl, put, remove } from "../context.js";

const group = "records and versions";

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** The server's clock, as the reply's Date says it, may be this far from its updatedAt (Date has whole seconds). */
const CLOCK_SLACK_MS = 10_000;

export const recordRules: Rule[] = [
  {
    group,
    rule: 'PUT with If-None-Match: * creates: 201, the record at version 1, ETag "1"',
    async run(context) {
      const id = context.id("a");
      const item = { id, title: "milk" };
      const reply = await put(context, id, { create: true }, item);
      expectStatus(reply, 201, "a create");
      expectRecord(reply, { id, version: 1, deleted: false, value: item }, "a create");
      expectEtag(reply, 1, "a create");
    },
  },
  {
    group,
    rule: "every accepted write moves the version by 1, deletes included",
    async run(context) {
      const id = context.id("a");
      await create(context, { id, n: 1 });
      const updated = await put(context, id, { ifMatch: 1 }, { id, n: 2 });
      expectStatus(updated, 200, "an update with If-Match");
      expectRecord(updated, { id, version: 2, deleted: false, value: { id, n: 2 } }, "an update of version 1");
      expectEtag(updated, 2, "an update to version 2");
      const deleted = await remove(context, id, { ifMatch: 2 });
      expectStatus(deleted, 200, "a delete with If-Match");
      expectRecord(deleted, { id, version: 3, deleted: true, value: null }, "a delete of version 2 (a tombstone)");
      expectEtag(deleted, 3, "a delete to version 3");
      const recreated = await put(context, id, { create: true }, { id, n: 4 });
      expectStatus(recreated, 201, "a create over a tombstone");
      expectRecord(recreated, { id, version: 4, deleted: false, value: { id, n: 4 } }, "a create over the tombstone of version 3");
      expectEtag(recreated, 4, "a create to version 4");
    },
  },
  {
    group,
    rule: "updatedAt is the server's clock (an ISO 8601 date), never taken from the item",
    async run(context) {
      const id = context.id("a");
      const sent = "2001-02-03T04:05:06.789Z";
      const created = await put(context, id, { create: true }, { id, updatedAt: sent });
      expectStatus(created, 201, "a create");
      const first = expectRecord(created, { id, version: 1 }, "a create");
      check(ISO_8601.test(first.updatedAt), `updatedAt must be an ISO 8601 date, got ${show(first.updatedAt)}`, created);
      check(first.updatedAt !== sent, "updatedAt must be the server's clock, not the item's updatedAt", created);
      nearDate(created, first.updatedAt);
      const updated = await put(context, id, { ifMatch: 1 }, { id, updatedAt: "2099-01-01T00:00:00.000Z" });
      expectStatus(updated, 200, "an update");
      const second = expectRecord(updated, { id, version: 2 }, "an update");
      check(Date.parse(second.updatedAt) >= Date.parse(first.updatedAt), `updatedAt went back in time: ${first.updatedAt}, then ${second.updatedAt}`, updated);
      nearDate(updated, second.updatedAt);
    },
  },
  {
    group,
    rule: "value is the item exactly as sent (nesting, arrays, nulls, numbers, Unicode)",
    async run(context) {
      const id = context.id("a");
      // As text: an object literal's "__proto__" would set a prototype, not send a key.
      const text = `{"id":${JSON.stringify(id)},"title":"crème brûlée 🥛 \\"quoted\\" \\\\ \\n\\t \\u2028","empty":"","none":null,"yes":true,"no":false,"zero":0,"neg":-12,"frac":1.5,"tiny":1e-7,"max":1.7976931348623157e308,"safe":9007199254740991,"list":[1,"two",null,[],{}],"nested":{"a":{"b":{"c":[{"d":"deep"}]}}},"":"empty key","__proto__":{"plain":"data"}}`;
      const item = JSON.parse(text) as Record<string, unknown>;
      const created = await put(context, id, { create: true }, text);
      expectStatus(created, 201, "a create");
      expectRecord(created, { id, version: 1, value: item }, "the write reply's value");
      const read = await get(context, id);
      expectStatus(read, 200, "a GET of the item");
      expectRecord(read, { id, version: 1, value: item }, "the value as stored");
    },
  },
  {
    group,
    rule: 'GET of an id answers the record with ETag "<version>"',
    async run(context) {
      const id = context.id("a");
      await create(context, { id });
      const updated = await put(context, id, { ifMatch: 1 }, { id, done: true });
      expectStatus(updated, 200, "an update");
      const read = await get(context, id);
      expectStatus(read, 200, "a GET of a live record");
      const record = expectRecord(read, { id, version: 2, deleted: false, value: { id, done: true } }, "a GET after an update");
      check(sameRecord(record, updated.json), `GET must answer the record the write answered, ${show(updated.json)}`, read);
      expectEtag(read, 2, "a GET of version 2");
    },
  },
  {
    group,
    rule: "GET of an absent or a deleted id is 404 not_found",
    async run(context) {
      expectError(await get(context, context.id("never")), 404, "not_found", "an id never written");
      const id = context.id("gone");
      await create(context, { id });
      expectStatus(await remove(context, id, { ifMatch: 1 }), 200, "a delete");
      expectError(await get(context, id), 404, "not_found", "a deleted id (a tombstone)");
    },
  },
  {
    group,
    rule: "GET of the collection lists the live records only, ordered by id",
    async run(context) {
      const written = new Map<string, unknown>();
      for (const name of ["c", "a", "d", "b"]) {
        const id = context.id(name);
        const reply = await put(context, id, { create: true }, { id, name });
        expectStatus(reply, 201, "a create");
        written.set(id, reply.json);
      }
      const gone = context.id("b");
      expectStatus(await remove(context, gone, { ifMatch: 1 }), 200, "a delete");
      written.delete(gone);
      const list = await context.http("GET", context.settings.endpoint);
      expectStatus(list, 200, "a GET of the collection");
      const items = isObject(list.json) ? list.json.items : undefined;
      check(Array.isArray(items), 'expected { "items": [record, ...] }', list);
      const mine = items.filter((item): item is { id: string } => isObject(item) && typeof item.id === "string" && item.id.startsWith(context.id("")));
      const ids = mine.map((item) => item.id);
      const expected = [...written.keys()].sort();
      check(jsonEqual(ids, expected), `expected this rule's live ids in id order, ${show(expected)}, got ${show(ids)}`, list);
      for (const item of mine) check(sameRecord(item, written.get(item.id)), `the listed record must be the one written, ${show(written.get(item.id))}`, list);
    },
  },
  {
    group,
    rule: "ids that need URL encoding round-trip (/, space, ?, #, %, +, é)",
    async run(context) {
      const id = context.id("a/b ?#%+é");
      const created = await put(context, id, { create: true }, { id });
      expectStatus(created, 201, `a create of ${JSON.stringify(id)}, sent as ${itemUrl(context, id)}`);
      expectRecord(created, { id, version: 1, value: { id } }, "the id decoded from the path");
      const read = await get(context, id);
      expectStatus(read, 200, "a GET of the encoded id");
      expectRecord(read, { id, version: 1 }, "the encoded id");
    },
  },
  {
    group,
    rule: 'an id starting with "_" is an item when its "_" is escaped (%5Fbatch, %5Fchanges)',
    async run(context) {
      // In a collection of this run's own the very ids a route could shadow; in another, ids of this run's.
      const ids = context.settings.freshCollection ? ["_batch", "_changes"] : [`_${context.id("batch")}`, `_${context.id("changes")}`];
      for (const id of ids) {
        const written = await put(context, id, {}, { id });
        expectStatus(written, [200, 201], `a write of the item ${JSON.stringify(id)}, sent as ${itemUrl(context, id)}`);
        const record = expectRecord(written, { id, deleted: false, value: { id } }, `the item ${JSON.stringify(id)}`);
        const read = await get(context, id);
        expectStatus(read, 200, `a GET of the item ${JSON.stringify(id)}`);
        expectRecord(read, { id, version: record.version }, `the item ${JSON.stringify(id)}`);
      }
    },
  },
];

/** updatedAt must be the server's clock: near the reply's Date when there is one. */
function nearDate(reply: Reply, updatedAt: string): void {
  const date = reply.headers.get("date");
  if (date === null || Number.isNaN(Date.parse(date))) return;
  const gap = Math.abs(Date.parse(updatedAt) - Date.parse(date));
  check(gap <= CLOCK_SLACK_MS, `updatedAt ${updatedAt} is ${Math.round(gap / 1000)} s from the reply's Date (${date}): it is not the server's clock`, reply);
}
