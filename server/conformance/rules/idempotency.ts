/** Idempotent replay: an Idempotency-Key is applied at most once; a repeat gets the stored reply. */
import { check, expectConflict, expectError, expectRecord, expectStatus, fail, jsonEqual, show } from "../check.js";
import type { Rule } from "../context.js";
import { create, expectStored, put, remove } from "../context.js";
import type { Reply } from "../http.js";

const group = "idempotent replay";

export const idempotencyRules: Rule[] = [
  {
    group,
    rule: "a repeated key with the same request gets the same status and body, with Idempotent-Replayed: true",
    async run(context) {
      const id = context.id("a");
      const key = context.key();
      const first = await put(context, id, { create: true }, { id, title: "milk" }, key);
      expectStatus(first, 201, "a create");
      check(first.headers.get("idempotent-replayed") !== "true", "a first request is no replay: it must not carry Idempotent-Replayed: true", first);
      const replay = await put(context, id, { create: true }, { id, title: "milk" }, key);
      expectSameReply(replay, first);
      const header = replay.headers.get("idempotent-replayed");
      check(header?.toLowerCase() === "true", `a replay must carry Idempotent-Replayed: true, got ${header === null ? "no such header" : header}`, replay);
    },
  },
  {
    group,
    rule: "a replay applies nothing: the version does not move",
    async run(context) {
      const id = context.id("a");
      await create(context, { id, n: 1 });
      const key = context.key();
      // Unconditional: applied a second time, it would make version 3.
      const first = await put(context, id, {}, { id, n: 2 }, key);
      expectStatus(first, 200, "an unconditional overwrite");
      expectRecord(first, { id, version: 2 }, "an overwrite of version 1");
      expectSameReply(await put(context, id, {}, { id, n: 2 }, key), first);
      await expectStored(context, id, 2, "the replay must not be applied again (version 3 means it was)");
      const deleteKey = context.key();
      const deleted = await remove(context, id, {}, deleteKey);
      expectStatus(deleted, 200, "an unconditional delete");
      expectSameReply(await remove(context, id, {}, deleteKey), deleted);
    },
  },
  {
    group,
    rule: "a replay after later writes still gets the stored reply",
    async run(context) {
      const id = context.id("a");
      const key = context.key();
      const first = await put(context, id, { create: true }, { id, n: 1 }, key);
      expectStatus(first, 201, "a create");
      expectStatus(await put(context, id, { ifMatch: 1 }, { id, n: 2 }), 200, "an update to version 2");
      expectSameReply(await put(context, id, { create: true }, { id, n: 1 }, key), first);
      await expectStored(context, id, 2, "the replay must apply nothing");
    },
  },
  {
    group,
    rule: "a repeated key with a different body is 422 idempotency_key_reused, applying nothing",
    async run(context) {
      const id = context.id("a");
      const key = context.key();
      expectStatus(await put(context, id, { create: true }, { id, title: "milk" }, key), 201, "a create");
      expectError(await put(context, id, { ifMatch: 1 }, { id, title: "eggs" }, key), 422, "idempotency_key_reused", "the key of the create with another body");
      const stored = await expectStored(context, id, 1, "the reused key must apply nothing");
      expectRecord(stored, { value: { id, title: "milk" } }, "the reused key must apply nothing");
    },
  },
  {
    group,
    rule: "a repeated key with a different method or id is 422 idempotency_key_reused",
    async run(context) {
      const id = context.id("a");
      const other = context.id("b");
      const key = context.key();
      expectStatus(await put(context, id, {}, { id }, key), 201, "a create");
      expectError(await put(context, other, {}, { id: other }, key), 422, "idempotency_key_reused", "the key of a PUT of another id");
      expectError(await remove(context, id, {}, key), 422, "idempotency_key_reused", "the key of a PUT, on a DELETE");
      await expectStored(context, id, 1, "the reused key must apply nothing");
      await expectStored(context, other, null, "the reused key must apply nothing");
    },
  },
  {
    group,
    rule: "a write refused with 4xx leaves its key unused: the fixed request is applied",
    async run(context) {
      const id = context.id("a");
      const record = await create(context, { id });
      const key = context.key();
      expectConflict(await put(context, id, { ifMatch: 7 }, { id, n: 1 }, key), record, 'If-Match: "7" when the version is 1');
      const fixed = await put(context, id, { ifMatch: 1 }, { id, n: 1 }, key);
      expectStatus(fixed, 200, "the same key after its 409, with the right version (a stored 409 would answer 409 again)");
      expectRecord(fixed, { id, version: 2, value: { id, n: 1 } }, "the fixed write applied");
      check(fixed.headers.get("idempotent-replayed") !== "true", "the fixed write is no replay", fixed);

      const otherId = context.id("b");
      const badKey = context.key();
      expectError(await put(context, otherId, {}, { id: "not-the-path-id" }, badKey), 400, "bad_request", "value.id not equal to the path id");
      const retried = await put(context, otherId, {}, { id: otherId }, badKey);
      expectStatus(retried, 201, "the same key after its 400, with a valid body");
    },
  },
];

/** `replay` is `first` served again: the same status and body. */
export function expectSameReply(replay: Reply, first: Pick<Reply, "status" | "json">): void {
  if (replay.status !== first.status) fail(`a replay must answer the first reply's status ${first.status}, got ${replay.status}`, replay);
  if (!jsonEqual(replay.json, first.json)) fail(`a replay must answer the first reply's body ${show(first.json)}`, replay);
}
