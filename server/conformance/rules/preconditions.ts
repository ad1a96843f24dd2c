/** Preconditions: If-None-Match: * creates, If-Match updates the version the client saw, neither overwrites. */
import { expectConflict, expectEtag, expectRecord, expectStatus } from "../check.js";
import type { Rule } from "../context.js";
import { create, destroy, expectStored, put, remove } from "../context.js";

const group = "preconditions";

export const preconditionRules: Rule[] = [
  {
    group,
    rule: "If-None-Match: * on a live record is 409 version_mismatch with current, applying nothing",
    async run(context) {
      const id = context.id("a");
      const record = await create(context, { id, title: "milk" });
      const again = await put(context, id, { create: true }, { id, title: "oat milk" });
      expectConflict(again, record, "a create of an id that is live");
      const stored = await expectStored(context, id, 1, "the refused create must leave the record as it was");
      expectRecord(stored, { value: { id, title: "milk" } }, "the refused create must leave the value as it was");
    },
  },
  {
    group,
    rule: "If-None-Match: * over a tombstone creates again: 201, the version continuing",
    async run(context) {
      const id = context.id("a");
      await create(context, { id });
      await destroy(context, id, 1);
      const recreated = await put(context, id, { create: true }, { id, again: true });
      expectStatus(recreated, 201, "a create over a tombstone");
      expectRecord(recreated, { id, version: 3, deleted: false, value: { id, again: true } }, "a create over the tombstone of version 2");
    },
  },
  {
    group,
    rule: "If-Match with a stale version is 409 with current (PUT and DELETE), applying nothing",
    async run(context) {
      const id = context.id("a");
      await create(context, { id, n: 1 });
      const updated = await put(context, id, { ifMatch: 1 }, { id, n: 2 });
      expectStatus(updated, 200, "an update with If-Match of the current version");
      const current = expectRecord(updated, { id, version: 2 }, "an update of version 1");
      expectConflict(await put(context, id, { ifMatch: 1 }, { id, n: 3 }), current, 'a PUT with If-Match: "1" when the version is 2');
      expectConflict(await remove(context, id, { ifMatch: 1 }), current, 'a DELETE with If-Match: "1" when the version is 2');
      const stored = await expectStored(context, id, 2, "refused writes must leave the record at version 2");
      expectRecord(stored, { deleted: false, value: { id, n: 2 } }, "refused writes must leave the value");
    },
  },
  {
    group,
    rule: "If-Match on an absent record is 409 with current: null (PUT and DELETE)",
    async run(context) {
      const id = context.id("never");
      expectConflict(await put(context, id, { ifMatch: 1 }, { id }), null, "a PUT with If-Match of an id never written");
      expectConflict(await remove(context, id, { ifMatch: 1 }), null, "a DELETE with If-Match of an id never written");
      await expectStored(context, id, null, "refused writes must not create the record");
    },
  },
  {
    group,
    rule: "If-Match on a deleted record is 409 with current: the tombstone",
    async run(context) {
      const id = context.id("a");
      await create(context, { id });
      const tombstone = await destroy(context, id, 1);
      expectConflict(await put(context, id, { ifMatch: 2 }, { id }), tombstone, 'a PUT with If-Match of the tombstone\'s version "2"');
      expectConflict(await put(context, id, { ifMatch: 1 }, { id }), tombstone, 'a PUT with If-Match of the version "1" before the delete');
      await expectStored(context, id, null, "refused writes must leave the record deleted");
    },
  },
  {
    group,
    rule: "DELETE with If-Match of a tombstone's own version is 200 with the tombstone, unchanged",
    async run(context) {
      const id = context.id("a");
      await create(context, { id });
      const tombstone = await destroy(context, id, 1);
      const again = await remove(context, id, { ifMatch: 2 });
      expectStatus(again, 200, 'a DELETE with If-Match: "2" of the tombstone of version 2');
      expectRecord(again, tombstone, "the tombstone as it was");
      expectEtag(again, 2, "the tombstone's version");
    },
  },
  {
    group,
    rule: "writes without a precondition: PUT creates (201) then overwrites (200, version +1), DELETE deletes",
    async run(context) {
      const id = context.id("a");
      const created = await put(context, id, {}, { id, n: 1 });
      expectStatus(created, 201, "an unconditional PUT of a new id");
      expectRecord(created, { id, version: 1, deleted: false, value: { id, n: 1 } }, "an unconditional create");
      const overwritten = await put(context, id, {}, { id, n: 2 });
      expectStatus(overwritten, 200, "an unconditional PUT of a live id");
      expectRecord(overwritten, { id, version: 2, deleted: false, value: { id, n: 2 } }, "an unconditional overwrite");
      const deleted = await remove(context, id);
      expectStatus(deleted, 200, "an unconditional DELETE");
      expectRecord(deleted, { id, version: 3, deleted: true, value: null }, "an unconditional delete");
      await expectStored(context, id, null, "the record was deleted");
    },
  },
  {
    group,
    rule: "DELETE without a precondition of an absent or deleted record is 200 with a tombstone",
    async run(context) {
      const id = context.id("ghost");
      const first = await remove(context, id);
      expectStatus(first, 200, "an unconditional DELETE of an id never written");
      expectRecord(first, { id, deleted: true, value: null }, "the delete of an absent record");
      const again = await remove(context, id);
      expectStatus(again, 200, "an unconditional DELETE of a deleted record");
      expectRecord(again, { id, deleted: true, value: null }, "the delete of a tombstone");
      await expectStored(context, id, null, "the id is deleted");
    },
  },
];
