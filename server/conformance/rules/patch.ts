/** PATCH with a JSON Merge Patch (RFC 7396), If-Match required; or a fallback status, as PATCH is optional. */
import { expectConflict, expectError, expectEtag, expectRecord, expectStatus, fail, show } from "../check.js";
import type { Rule } from "../context.js";
import { create, destroy, expectStored, patch } from "../context.js";

const group = "merge patch";

/** What a server without PATCH answers; the SDK then sends PUT. */
const FALLBACK_STATUSES = [405, 415, 501];

type Example = { original: unknown; patch: unknown; result: unknown };

/** RFC 7396, Appendix A, in its order. */
const APPENDIX_A: Example[] = [
  { original: { a: "b" }, patch: { a: "c" }, result: { a: "c" } },
  { original: { a: "b" }, patch: { b: "c" }, result: { a: "b", b: "c" } },
  { original: { a: "b" }, patch: { a: null }, result: {} },
  { original: { a: "b", b: "c" }, patch: { a: null }, result: { b: "c" } },
  { original: { a: ["b"] }, patch: { a: "c" }, result: { a: "c" } },
  { original: { a: "c" }, patch: { a: ["b"] }, result: { a: ["b"] } },
  { original: { a: { b: "c" } }, patch: { a: { b: "d", c: null } }, result: { a: { b: "d" } } },
  { original: { a: [{ b: "c" }] }, patch: { a: [1] }, result: { a: [1] } },
  { original: ["a", "b"], patch: ["c", "d"], result: ["c", "d"] },
  { original: { a: "b" }, patch: ["c"], result: ["c"] },
  { original: { a: "foo" }, patch: null, result: null },
  { original: { a: "foo" }, patch: "bar", result: "bar" },
  { original: { e: null }, patch: { a: 1 }, result: { e: null, a: 1 } },
  { original: [1, 2], patch: { a: "b", c: null }, result: { a: "b" } },
  { original: {}, patch: { a: { bb: { ccc: null } } }, result: { a: { bb: {} } } },
];

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const json = (value: unknown) => JSON.stringify(value);

/**
 * An example as the protocol can carry it: items are objects with their id (an array original becomes the
 * item `{id}`, as RFC 7396 merges into a non-object as into `{}`), and a patch that is not an object would
 * replace the item, id and all: the protocol refuses it with 400.
 */
function exampleRule(example: Example, index: number): Rule {
  const refused = !isPlainObject(example.patch);
  const adapted = isPlainObject(example.original) ? "" : " (the item stands for the array)";
  const outcome = refused ? "is 400 (a patch must be an object; the item stays)" : `gives ${json(example.result)} (with the id)`;
  return {
    group,
    rule: `RFC 7396 A, example ${index + 1}: ${json(example.original)}${adapted} patched with ${json(example.patch)} ${outcome}`,
    needs: "patch",
    async run(context) {
      const id = context.id("a");
      const original = { ...(isPlainObject(example.original) ? example.original : {}), id };
      await create(context, original);
      const reply = await patch(context, id, 1, json(example.patch));
      if (refused) {
        expectError(reply, 400, "bad_request", `a merge patch ${json(example.patch)}, not an object`);
        const stored = await expectStored(context, id, 1, "a refused patch applies nothing");
        expectRecord(stored, { value: original }, "a refused patch applies nothing");
        return;
      }
      const expected = { ...(example.result as Record<string, unknown>), id };
      expectStatus(reply, 200, `PATCH with If-Match: "1" of ${json(original)}`);
      expectRecord(reply, { id, version: 2, deleted: false, value: expected }, `${json(original)} patched with ${json(example.patch)}`);
      expectEtag(reply, 2, "the patched version");
      const stored = await expectStored(context, id, 2, "the patch was applied");
      expectRecord(stored, { value: expected }, "the patched value as stored");
    },
  };
}

export const patchRules: Rule[] = [
  {
    group,
    rule: "PATCH is implemented, or a server without it answers 405, 415 or 501",
    async run(context) {
      const id = context.id("a");
      await create(context, { id, n: 1 });
      const reply = await patch(context, id, 1, { done: true });
      if (FALLBACK_STATUSES.includes(reply.status)) {
        context.features.patch = false;
        return `not implemented: answers ${reply.status}, and the SDK sends PUT instead`;
      }
      if (reply.status !== 200) {
        context.features.patch = false;
        fail(`a server without PATCH must answer 405, 415 or 501 (the SDK falls back only on those), got ${reply.status}`, reply);
      }
      expectRecord(reply, { id, version: 2, value: { id, n: 1, done: true } }, "a merge patch of version 1");
    },
  },
  ...APPENDIX_A.map(exampleRule),
  {
    group,
    rule: "PATCH without If-Match is 400, applying nothing",
    needs: "patch",
    async run(context) {
      const id = context.id("a");
      await create(context, { id });
      expectError(await patch(context, id, undefined, { done: true }), 400, "bad_request", "PATCH needs If-Match");
      await expectStored(context, id, 1, "a refused patch applies nothing");
    },
  },
  {
    group,
    rule: "a patch that removes or changes the id is 400, applying nothing",
    needs: "patch",
    async run(context) {
      const id = context.id("a");
      await create(context, { id });
      expectError(await patch(context, id, 1, { id: null }), 400, "bad_request", 'a patch { "id": null } removes the id');
      expectError(await patch(context, id, 1, { id: context.id("other") }), 400, "bad_request", "a patch that changes the id");
      await expectStored(context, id, 1, "a refused patch applies nothing");
    },
  },
  {
    group,
    rule: "PATCH with a stale If-Match, or of an absent or deleted record, is 409 with current",
    needs: "patch",
    async run(context) {
      const id = context.id("a");
      const record = await create(context, { id });
      expectConflict(await patch(context, id, 5, { done: true }), record, 'a patch with If-Match: "5" of version 1');
      expectConflict(await patch(context, context.id("never"), 1, { done: true }), null, "a patch of an id never written");
      const gone = context.id("gone");
      await create(context, { id: gone });
      const tombstone = await destroy(context, gone, 1);
      expectConflict(await patch(context, gone, 2, { done: true }), tombstone, "a patch of a tombstone at its version");
      await expectStored(context, id, 1, `refused patches apply nothing (the record was ${show(record)})`);
    },
  },
];
