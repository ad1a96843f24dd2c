/**
 * The change feed (`_changes?since=&limit=`): paging, tombstones, cursors. Every rule starts from the feed's
 * end as it finds it, and judges the changes of its own ids: the collection may be a fixed one holding others.
 */
import type { WireRecord } from "../check.js";
import { check, expectError, fail, jsonEqual, sameRecord, show } from "../check.js";
import type { Change, ChangesPage, Rule, RuleContext } from "../context.js";
import { changes, create, destroy, feedEnd, own, update } from "../context.js";
import type { Reply } from "../http.js";

/** What a server without the feed answers; the SDK then stops asking. */
const FALLBACK_STATUSES = [404, 405, 501];

export const feedRules: Rule[] = [
  {
    group: "change feed",
    rule: "_changes is implemented, or a server without it answers 404, 405 or 501",
    async run(context) {
      const reply = await context.http("GET", `${context.settings.endpoint}/_changes?limit=1`);
      if (FALLBACK_STATUSES.includes(reply.status)) {
        context.features.changes = false;
        return `not implemented: answers ${reply.status}, and the SDK stops asking for it`;
      }
      if (reply.status !== 200) {
        context.features.changes = false;
        fail(`a server without the change feed must answer 404, 405 or 501 (the SDK stops asking only on those), got ${reply.status}`, reply);
      }
      await changes(context, null, 1);
    },
  },
  {
    group: "change feed",
    rule: "pages hold limit changes ordered by seq, with a cursor, hasMore false on the last",
    needs: "changes",
    async run(context) {
      const end = await feedEnd(context);
      const written: WireRecord[] = [];
      for (const name of ["a", "b", "c", "d", "e"]) written.push(await create(context, { id: context.id(name), name }));
      const limit = 2;
      const pulls = await pullAll(context, end, limit);
      for (const { page, reply } of pulls.slice(0, -1)) {
        check(page.changes.length === limit, `a page with hasMore: true holds limit=${limit} changes, got ${page.changes.length}`, reply);
      }
      expectSeqOrder(pulls);
      const mine = pulls.flatMap(({ page }) => own(page, ownIds(context)));
      const last = pulls.at(-1)!.reply;
      const ids = mine.map((change) => change.id);
      check(jsonEqual(ids, written.map((record) => record.id)), `expected this rule's five creates in the order written, ${show(written.map((r) => r.id))}, got ${show(ids)}`, last);
      for (const [index, change] of mine.entries()) expectChange(last, change, written[index]!);
    },
  },
  {
    group: "change feed",
    rule: "a write after the cursor shows up on the next pull, and only there",
    needs: "changes",
    async run(context) {
      const end = await feedEnd(context);
      const caughtUp = await changes(context, end, 100);
      check(own(caughtUp.page, ownIds(context)).length === 0 && !caughtUp.page.hasMore, "a pull from the feed's end has nothing of this rule's yet, and no more", caughtUp.reply);
      if (context.settings.freshCollection) check(caughtUp.page.changes.length === 0, "a pull from the feed's end must hold no changes", caughtUp.reply);
      const id = context.id("a");
      const created = await create(context, { id });
      const next = await changes(context, end, 100);
      expectOwn(next, context, [created], "the pull after a create");
      const cursor = next.page.cursor;
      const after = await changes(context, cursor, 100);
      expectOwn(after, context, [], "a pull from the cursor that already covered the create");
      const record = await update(context, id, 1, { id, done: true });
      expectOwn(await changes(context, cursor, 100), context, [record], "the pull after an update");
    },
  },
  {
    group: "change feed",
    rule: "paging while writes come in: no change skipped, none repeated",
    needs: "changes",
    async run(context) {
      const end = await feedEnd(context);
      const latest = new Map<string, number>();
      for (const name of ["a", "b", "c", "d", "e", "f"]) {
        const record = await create(context, { id: context.id(name) });
        latest.set(record.id, record.version);
      }
      const limit = 3;
      const first = await changes(context, end, limit);
      const pulls = [first];
      // Written between two pages: an update of an id already paged past, and a new id.
      const a = context.id("a");
      latest.set(a, (await update(context, a, 1, { id: a, n: 2 })).version);
      latest.set(context.id("g"), (await create(context, { id: context.id("g") })).version);
      if (first.page.hasMore) pulls.push(...(await pullAll(context, first.page.cursor, limit)));
      expectSeqOrder(pulls);
      const last = pulls.at(-1)!.reply;
      const seen = new Set<string>();
      for (const { page, reply } of pulls) {
        for (const change of own(page, ownIds(context))) {
          const key = `${change.id} version ${change.version}`;
          check(!seen.has(key), `${key} came twice while paging`, reply);
          seen.add(key);
        }
      }
      for (const [id, version] of latest) {
        check(seen.has(`${id} version ${version}`), `${id} version ${version} never came while paging by limit=${limit} (skipped); seen: ${show([...seen])}`, last);
      }
    },
  },
  {
    group: "change feed",
    rule: "a record appears once per page, in its latest state",
    needs: "changes",
    async run(context) {
      const end = await feedEnd(context);
      const [a, b] = [context.id("a"), context.id("b")];
      await create(context, { id: a });
      const createdB = await create(context, { id: b });
      const updatedA = await update(context, a, 1, { id: a, n: 2 });
      expectOwn(await changes(context, end, 100), context, [createdB, updatedA], "a create of a, a create of b, an update of a");
    },
  },
  {
    group: "change feed",
    rule: 'since absent and since=0 both pull from the start',
    needs: "changes",
    async run(context) {
      await create(context, { id: context.id("a") });
      const absent = await changes(context, null, 3);
      const zero = await changes(context, "0", 3);
      check(absent.page.changes.length > 0, "a feed with a write in it has changes from the start", absent.reply);
      check(jsonEqual(zero.page, absent.page), `since=0 must answer what no since answers, ${show(absent.page)}`, zero.reply);
    },
  },
  {
    group: "tombstones",
    rule: "a delete appears in the feed as deleted: true, value: null, version +1",
    needs: "changes",
    async run(context) {
      const id = context.id("a");
      await create(context, { id, title: "milk" });
      const end = await feedEnd(context);
      const tombstone = await destroy(context, id, 1);
      const pulled = await changes(context, end, 100);
      expectOwn(pulled, context, [tombstone], "the pull after a delete of version 1");
      const [change] = own(pulled.page, ownIds(context));
      check(change!.deleted === true && change!.value === null && change!.version === 2, `the tombstone must be deleted: true, value: null, version 2, got ${show(change)}`, pulled.reply);
    },
  },
  {
    group: "cursors",
    rule: "a cursor of another database (zzzz.1) is 410 cursor_expired",
    needs: "changes",
    async run(context) {
      const end = await feedEnd(context);
      const foreign = end.startsWith("zzzz.") ? "yyyy.1" : "zzzz.1";
      expectError(await pull(context, foreign), 410, "cursor_expired", `since=${foreign}: not a cursor of this database (reset or replaced)`);
    },
  },
  {
    group: "cursors",
    rule: "a cursor beyond the feed's end is 410 cursor_expired",
    needs: "changes",
    async run(context) {
      await create(context, { id: context.id("a") });
      const end = await feedEnd(context);
      // "<epoch>.12" becomes "<epoch>.129": a seq the feed has not reached (and an opaque cursor becomes none of the server's).
      const beyond = `${end}9`;
      expectError(await pull(context, beyond), 410, "cursor_expired", `since=${beyond}: the feed's end is ${end}`);
    },
  },
];

function pull(context: RuleContext, since: string): Promise<Reply> {
  return context.http("GET", `${context.settings.endpoint}/_changes?${new URLSearchParams({ since, limit: "10" })}`);
}

type Pull = { page: ChangesPage; reply: Reply };

/** Pages from `since` until hasMore is false. */
async function pullAll(context: RuleContext, since: string, limit: number): Promise<Pull[]> {
  const pulls: Pull[] = [];
  let cursor = since;
  for (let count = 0; count < 1000; count++) {
    const pulled = await changes(context, cursor, limit);
    pulls.push(pulled);
    if (!pulled.page.hasMore) return pulls;
    cursor = pulled.page.cursor;
  }
  return fail(`the feed still had more after 1000 pages of ${limit}`, pulls.at(-1)?.reply);
}

const ownIds = (context: RuleContext) => {
  const prefix = context.id("");
  return (id: string) => id.startsWith(prefix);
};

/** Seqs rise strictly across the pages, in order. */
function expectSeqOrder(pulls: Pull[]): void {
  let previous = -Infinity;
  for (const { page, reply } of pulls) {
    for (const change of page.changes) {
      check(change.seq > previous, `seqs must rise strictly across pages: ${change.seq} came after ${previous}`, reply);
      previous = change.seq;
    }
  }
}

/** The page's changes of this rule's ids are exactly `expected` (records), in order. */
function expectOwn({ page, reply }: Pull, context: RuleContext, expected: WireRecord[], what: string): void {
  const mine = own(page, ownIds(context));
  const shown = (list: Array<{ id: string; version: number }>) => show(list.map(({ id, version }) => `${id} v${version}`));
  check(mine.length === expected.length && mine.every((change, index) => change.id === expected[index]!.id), `${what}: expected ${shown(expected)}, got ${shown(mine)}`, reply);
  for (const [index, change] of mine.entries()) expectChange(reply, change, expected[index]!);
}

/** A change is the record as the write answered it, plus its seq. */
function expectChange(reply: Reply, change: Change, record: WireRecord): void {
  check(sameRecord(change, record), `the change of ${record.id} must be the record the write answered, ${show(record)}, plus seq; got ${show(change)}`, reply);
}
