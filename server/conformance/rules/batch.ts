/** `POST {endpoint}/_batch`: many writes, each as its per-item request, in order; or a fallback status. */
import { asRecord, check, expectError, fail, isObject, jsonEqual, sameRecord, show } from "../check.js";
import type { BatchResult, Rule } from "../context.js";
import { batch, batchResults, create, expectStored, put } from "../context.js";
import type { Reply } from "../http.js";
import { nested } from "./bodies.js";
import { expectSameReply } from "./idempotency.js";

const group = "batch";

/** What a server without `_batch` answers; the SDK then sends per-item requests. */
const FALLBACK_STATUSES = [404, 405, 501];
const MAX_OPS = 500;

export const batchRules: Rule[] = [
  {
    group,
    rule: "_batch is implemented, or a server without it answers 404, 405 or 501",
    async run(context) {
      const id = context.id("a");
      const reply = await batch(context, { ops: [{ opId: context.key(), id, method: "PUT", ifNoneMatch: "*", body: { id } }] });
      if (FALLBACK_STATUSES.includes(reply.status)) {
        context.features.batch = false;
        return `not implemented: answers ${reply.status}, and the SDK falls back to per-item requests`;
      }
      if (reply.status !== 200) {
        context.features.batch = false;
        fail(`a server without _batch must answer 404, 405 or 501 (the SDK falls back only on those), got ${reply.status}`, reply);
      }
      const [result] = batchResults(reply, 1, "a batch of one create");
      expectOp(reply, result!, 201, "the batch's create");
    },
  },
  {
    group,
    rule: "results come one per op, in order, mixing statuses, each op applied as its per-item request",
    needs: "batch",
    async run(context) {
      const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((name) => context.id(name)) as [string, string, string, string, string];
      const seededB = await create(context, { id: b });
      await create(context, { id: c });
      const ops = [
        { opId: context.key(), id: a, method: "PUT", ifNoneMatch: "*", body: { id: a, title: "milk" } },
        { opId: context.key(), id: b, method: "PUT", ifMatch: 9, body: { id: b } },
        { opId: context.key(), id: c, method: "DELETE", ifMatch: 1 },
        { opId: context.key(), id: d, method: "PUT", body: { id: "not-the-op-id" } },
        { opId: context.key(), id: e, method: "PUT", ifMatch: 1, body: { id: e } },
      ];
      const reply = await batch(context, { ops });
      const results = batchResults(reply, ops.length, "a batch of five ops");
      const opIds = results.map((result) => result.opId);
      check(jsonEqual(opIds, ops.map((op) => op.opId)), `results must be in the order of the ops, ${show(ops.map((op) => op.opId))}, got ${show(opIds)}`, reply);
      expectOp(reply, results[0]!, 201, "ops[0], a create", { id: a, version: 1, deleted: false, value: { id: a, title: "milk" } });
      expectOpConflict(reply, results[1]!, seededB, 'ops[1], a PUT with ifMatch 9 of version 1');
      expectOp(reply, results[2]!, 200, "ops[2], a DELETE of version 1", { id: c, version: 2, deleted: true, value: null });
      expectOpError(reply, results[3]!, 400, "bad_request", "ops[3], a PUT whose body.id is not the op's id");
      expectOpConflict(reply, results[4]!, null, "ops[4], a PUT with ifMatch of an absent id");
      await expectStored(context, a, 1, "ops[0] was applied");
      await expectStored(context, b, 1, "ops[1] was refused");
      await expectStored(context, c, null, "ops[2] deleted it");
      await expectStored(context, d, null, "ops[3] was refused");
      await expectStored(context, e, null, "ops[4] was refused");
    },
  },
  {
    group,
    rule: "a batch with one id twice is 400, applying nothing",
    needs: "batch",
    async run(context) {
      const id = context.id("a");
      const ops = [
        { opId: context.key(), id, method: "PUT", body: { id, n: 1 } },
        { opId: context.key(), id, method: "PUT", body: { id, n: 2 } },
      ];
      expectWholeRefused(await batch(context, { ops }), "two ops on one id");
      await expectStored(context, id, null, "a refused batch applies nothing");
    },
  },
  {
    group,
    rule: "a batch with one opId twice is 400, applying nothing",
    needs: "batch",
    async run(context) {
      const [a, b] = [context.id("a"), context.id("b")];
      const opId = context.key();
      const ops = [
        { opId, id: a, method: "PUT", body: { id: a } },
        { opId, id: b, method: "PUT", body: { id: b } },
      ];
      expectWholeRefused(await batch(context, { ops }), "two ops with one opId");
      await expectStored(context, a, null, "a refused batch applies nothing");
      await expectStored(context, b, null, "a refused batch applies nothing");
    },
  },
  {
    group,
    rule: `a batch of over ${MAX_OPS} ops is 400, applying nothing; one of ${MAX_OPS} is taken`,
    needs: "batch",
    async run(context) {
      const ops = (count: number, name: string) =>
        Array.from({ length: count }, (_, index) => {
          const id = context.id(`${name}${index}`);
          return { opId: context.key(), id, method: "PUT", body: { id } };
        });
      expectWholeRefused(await batch(context, { ops: ops(MAX_OPS + 1, "over") }), `${MAX_OPS + 1} ops`);
      await expectStored(context, context.id("over0"), null, "a refused batch applies nothing");
      const full = await batch(context, { ops: ops(MAX_OPS, "full") });
      const results = batchResults(full, MAX_OPS, `a batch of ${MAX_OPS} ops (the SDK sends up to ${MAX_OPS})`);
      const refused = results.findIndex((result) => result.status !== 201);
      if (refused !== -1) fail(`every op of the batch creates its id: results[${refused}] is ${results[refused]!.status}`, full);
    },
  },
  {
    group,
    rule: "a malformed batch is 400 as a whole, with no results",
    needs: "batch",
    async run(context) {
      const id = context.id("a");
      expectWholeRefused(await batch(context, { ops: "nope" }), '"ops" not an array');
      expectWholeRefused(await batch(context, "{"), "a body that is not JSON");
      expectWholeRefused(await batch(context, { ops: [{ opId: context.key(), id, method: "POST", body: { id } }] }), 'an op with method "POST"');
      expectWholeRefused(await batch(context, { ops: [{ id, method: "PUT", body: { id } }] }), "an op without an opId");
      await expectStored(context, id, null, "a refused batch applies nothing");
    },
  },
  {
    group,
    rule: "a batch sent again gets the same results and applies nothing twice",
    needs: "batch",
    async run(context) {
      const [a, b] = [context.id("a"), context.id("b")];
      await create(context, { id: b, n: 0 });
      const ops = [
        { opId: context.key(), id: a, method: "PUT", ifNoneMatch: "*", body: { id: a } },
        // Unconditional: applied twice, it would make version 3.
        { opId: context.key(), id: b, method: "PUT", body: { id: b, n: 1 } },
      ];
      const first = await batch(context, { ops });
      const firstResults = batchResults(first, 2, "a batch of two ops");
      expectOp(first, firstResults[0]!, 201, "ops[0], a create");
      expectOp(first, firstResults[1]!, 200, "ops[1], an overwrite", { version: 2 });
      const again = await batch(context, { ops });
      const againResults = batchResults(again, 2, "the same batch again");
      check(jsonEqual(againResults, firstResults), `the batch sent again must get the first results, ${show(firstResults)}`, again);
      await expectStored(context, a, 1, "the batch sent again must not apply its ops again");
      await expectStored(context, b, 2, "the batch sent again must not apply its ops again (version 3 means it did)");
    },
  },
  {
    group,
    rule: "a batch op's key is the per-item request's: replayed by it, 422 for another body",
    needs: "batch",
    async run(context) {
      const id = context.id("a");
      const opId = context.key();
      const reply = await batch(context, { ops: [{ opId, id, method: "PUT", ifNoneMatch: "*", body: { id, n: 1 } }] });
      const [result] = batchResults(reply, 1, "a batch of one create");
      expectOp(reply, result!, 201, "the batch's create");
      const perItem = await put(context, id, { create: true }, { id, n: 1 }, opId);
      expectSameReply(perItem, { status: result!.status, json: result!.body });
      expectError(await put(context, id, { create: true }, { id, n: 2 }, opId), 422, "idempotency_key_reused", "the op's key with another body");
      await expectStored(context, id, 1, "the op was applied once");
    },
  },
  {
    group,
    rule: "an op's body may nest 100 levels, the batch around it not counted",
    needs: "batch",
    async run(context) {
      const id = context.id("a");
      const reply = await batch(context, { ops: [{ opId: context.key(), id, method: "PUT", body: { id, v: nested(99) } }] });
      const [result] = batchResults(reply, 1, "a batch whose op's body nests 100 levels");
      expectOp(reply, result!, 201, "an op whose body nests 100 levels");
    },
  },
];

function expectOp(reply: Reply, result: BatchResult, status: number, what: string, expected: Record<string, unknown> = {}): void {
  if (result.status !== status) fail(`${what}: expected status ${status}, got ${result.status} with ${show(result.body)}`, reply);
  const record = asRecord(result.body);
  if (!record) fail(`${what}: expected a record { id, version, updatedAt, deleted, value }, got ${show(result.body)}`, reply);
  for (const [field, value] of Object.entries(expected)) {
    const actual = (record as Record<string, unknown>)[field];
    if (!jsonEqual(actual, value)) fail(`${what}: expected ${field} ${show(value)}, got ${show(actual)}`, reply);
  }
}

function expectOpError(reply: Reply, result: BatchResult, status: number, code: string, what: string): Record<string, unknown> {
  const body = result.body;
  const shaped = isObject(body) && body.error === code && typeof body.message === "string";
  if (result.status !== status || !shaped) fail(`${what}: expected status ${status} with { "error": "${code}", "message": "…" }, got ${result.status} with ${show(body)}`, reply);
  return body;
}

function expectOpConflict(reply: Reply, result: BatchResult, current: unknown, what: string): void {
  const body = expectOpError(reply, result, 409, "version_mismatch", what);
  if (!("current" in body) || !sameRecord(body.current, current)) fail(`${what}: "current" must be ${show(current)}, got ${show(body.current)}`, reply);
}

function expectWholeRefused(reply: Reply, what: string): void {
  expectError(reply, 400, "bad_request", `a malformed batch: ${what}`);
  check(!(isObject(reply.json) && "results" in reply.json), `a batch refused as a whole has no results (${what})`, reply);
}
