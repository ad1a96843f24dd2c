/**
 * Writes that race: versions move by compare-and-set and a key is applied at most once even when its
 * requests arrive together (a client retrying while its first request is still in flight).
 */
import { check, expectConflict, expectRecord, fail, jsonEqual, show } from "../check.js";
import type { Rule } from "../context.js";
import { create, expectStored, put } from "../context.js";

const group = "concurrency";

/** Requests sent at once. */
const RACERS = 5;

export const concurrencyRules: Rule[] = [
  {
    group,
    rule: `${RACERS} writes at once with one If-Match: one is applied, the others are 409`,
    async run(context) {
      const id = context.id("a");
      await create(context, { id, n: 0 });
      const replies = await Promise.all(Array.from({ length: RACERS }, (_, n) => put(context, id, { ifMatch: 1 }, { id, n: n + 1 })));
      const won = replies.filter((reply) => reply.status === 200);
      if (won.length !== 1) fail(`exactly one of ${RACERS} writes with If-Match: "1" may be applied, ${won.length} answered 200: ${show(replies.map((r) => r.status))}`, won[1] ?? replies[0]);
      const winner = expectRecord(won[0]!, { id, version: 2 }, "the write that won");
      for (const reply of replies) if (reply !== won[0]) expectConflict(reply, winner, 'a write with If-Match: "1" that lost the race to version 2');
      const stored = await expectStored(context, id, 2, "one write applied");
      expectRecord(stored, { value: winner.value }, "the winner's value is stored");
    },
  },
  {
    group,
    rule: `${RACERS} requests at once with one key are applied once, each answered the same`,
    async run(context) {
      const id = context.id("a");
      await create(context, { id, n: 0 });
      const key = context.key();
      // Unconditional: each one applied would move the version.
      const replies = await Promise.all(Array.from({ length: RACERS }, () => put(context, id, {}, { id, n: 1 }, key)));
      const first = replies[0]!;
      for (const reply of replies) {
        check(reply.status === 200 && jsonEqual(reply.json, first.json), `every request of one key gets one reply, ${first.status} ${show(first.json)}`, reply);
      }
      await expectStored(context, id, 2, `the key applied once (version ${2 + RACERS - 1} means every request was)`);
    },
  },
];
