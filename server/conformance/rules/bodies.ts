/** Request bodies: gzip, other encodings, and the protocol's limits on bodies, nesting, ids and keys. */
import { brotliCompressSync, gzipSync } from "node:zlib";
import { expectError, expectRecord, expectStatus } from "../check.js";
import type { Rule } from "../context.js";
import { expectStored, put, write } from "../context.js";

const MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_DEPTH = 100;
const MAX_ID_LENGTH = 256;
const MAX_KEY_LENGTH = 128;

const MiB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export const bodyRules: Rule[] = [
  {
    group: "gzip bodies",
    rule: "a body with Content-Encoding: gzip is inflated",
    async run(context) {
      const id = context.id("a");
      const item = { id, title: "milk", padding: "x".repeat(2000) };
      const gzipped = gzipSync(JSON.stringify(item));
      const reply = await write(context, "PUT", id, { create: true }, gzipped, {
        headers: { "Content-Encoding": "gzip" },
        describeBody: `<gzip, ${gzipped.length} bytes, of ${JSON.stringify(item).slice(0, 80)}…>`,
      });
      expectStatus(reply, 201, "a gzipped create");
      expectRecord(reply, { id, version: 1, value: item }, "the gzipped item, inflated");
    },
  },
  {
    group: "gzip bodies",
    rule: "a body with Content-Encoding: br is 415 unsupported_media_type",
    async run(context) {
      const id = context.id("a");
      const brotli = brotliCompressSync(JSON.stringify({ id }));
      const reply = await write(context, "PUT", id, { create: true }, brotli, {
        headers: { "Content-Encoding": "br" },
        describeBody: `<brotli, ${brotli.length} bytes, of {"id":"${id}"}>`,
      });
      expectError(reply, 415, "unsupported_media_type", "only gzip and identity are encodings of the protocol");
      await expectStored(context, id, null, "a refused write applies nothing");
    },
  },
  {
    group: "gzip bodies",
    rule: "a corrupt gzip body is 400 bad_request",
    async run(context) {
      const id = context.id("a");
      const whole = gzipSync(JSON.stringify({ id, padding: "x".repeat(500) }));
      const cut = whole.subarray(0, Math.floor(whole.length / 2));
      const cases: Array<[Uint8Array, string]> = [
        [new TextEncoder().encode(JSON.stringify({ id })), "<plain JSON labelled gzip>"],
        [cut, `<the first ${cut.length} of ${whole.length} bytes of a gzip stream>`],
      ];
      for (const [body, describeBody] of cases) {
        const reply = await write(context, "PUT", id, { create: true }, body, { headers: { "Content-Encoding": "gzip" }, describeBody });
        expectError(reply, 400, "bad_request", `Content-Encoding: gzip with ${describeBody}`);
      }
      await expectStored(context, id, null, "a refused write applies nothing");
    },
  },
  {
    group: "limits",
    rule: "a body over 5 MiB is 413 payload_too_large",
    async run(context) {
      const id = context.id("a");
      const body = JSON.stringify({ id, blob: "x".repeat(MAX_BODY_BYTES) });
      const reply = await put(context, id, { create: true }, body);
      expectError(reply, 413, "payload_too_large", `a body of ${body.length} bytes (${MiB(body.length)})`);
      await expectStored(context, id, null, "a refused write applies nothing");
    },
  },
  {
    group: "limits",
    rule: "a gzip body inflating to over 5 MiB (a gzip bomb) is 413 payload_too_large",
    async run(context) {
      const id = context.id("a");
      const inflated = JSON.stringify({ id, blob: "x".repeat(4 * MAX_BODY_BYTES) });
      const bomb = gzipSync(inflated);
      const reply = await write(context, "PUT", id, { create: true }, bomb, {
        headers: { "Content-Encoding": "gzip" },
        describeBody: `<gzip, ${bomb.length} bytes, inflating to ${inflated.length} bytes (${MiB(inflated.length)})>`,
      });
      expectError(reply, 413, "payload_too_large", `a gzip body of ${bomb.length} bytes inflating to ${MiB(inflated.length)}`);
      await expectStored(context, id, null, "a refused write applies nothing");
    },
  },
  {
    group: "limits",
    rule: `JSON nested deeper than ${MAX_DEPTH} levels is 400; ${MAX_DEPTH} levels are taken`,
    async run(context) {
      const [deep, deeper] = [context.id("deep"), context.id("deeper")];
      const accepted = await put(context, deep, { create: true }, { id: deep, v: nested(MAX_DEPTH - 1) });
      expectStatus(accepted, 201, `an item nesting ${MAX_DEPTH} levels`);
      const refused = await put(context, deeper, { create: true }, { id: deeper, v: nested(MAX_DEPTH) });
      expectError(refused, 400, "bad_request", `an item nesting ${MAX_DEPTH + 1} levels`);
      await expectStored(context, deeper, null, "a refused write applies nothing");
    },
  },
  {
    group: "limits",
    rule: `an id over ${MAX_ID_LENGTH} characters is 400; one of ${MAX_ID_LENGTH} is taken`,
    async run(context) {
      const prefix = context.id("");
      const longest = prefix.padEnd(MAX_ID_LENGTH, "x");
      const over = prefix.padEnd(MAX_ID_LENGTH + 1, "y");
      expectStatus(await put(context, longest, { create: true }, { id: longest }), 201, `an id of ${MAX_ID_LENGTH} characters`);
      expectError(await put(context, over, { create: true }, { id: over }), 400, "bad_request", `an id of ${MAX_ID_LENGTH + 1} characters`);
      await expectStored(context, over, null, "a refused write applies nothing");
    },
  },
  {
    group: "limits",
    rule: "an id holding U+0000 is 400 (no database keeps it alike), and reading it is 404, not a server error",
    async run(context) {
      const id = `${context.id("nul")}\u0000x`;
      expectError(await put(context, id, { create: true }, { id }), 400, "bad_request", "an id holding U+0000");
      await expectStored(context, id, null, "a refused write applies nothing");
    },
  },
  {
    group: "limits",
    rule: `an Idempotency-Key over ${MAX_KEY_LENGTH} characters is 400; one of ${MAX_KEY_LENGTH} is taken`,
    async run(context) {
      const [a, b] = [context.id("a"), context.id("b")];
      const longest = context.key().padEnd(MAX_KEY_LENGTH, "k");
      const over = context.key().padEnd(MAX_KEY_LENGTH + 1, "k");
      expectStatus(await put(context, a, { create: true }, { id: a }, longest), 201, `an Idempotency-Key of ${MAX_KEY_LENGTH} characters`);
      expectError(await put(context, b, { create: true }, { id: b }, over), 400, "bad_request", `an Idempotency-Key of ${MAX_KEY_LENGTH + 1} characters`);
      await expectStored(context, b, null, "a refused write applies nothing");
    },
  },
  {
    group: "limits",
    rule: "a write without an Idempotency-Key is 400 (PUT and DELETE)",
    async run(context) {
      const id = context.id("a");
      expectError(await write(context, "PUT", id, { create: true }, { id }, { key: null }), 400, "bad_request", "a PUT without Idempotency-Key");
      expectError(await write(context, "DELETE", id, {}, undefined, { key: null }), 400, "bad_request", "a DELETE without Idempotency-Key");
      await expectStored(context, id, null, "a refused write applies nothing");
    },
  },
];

/** `levels` of objects, one in the other. */
export function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < levels; level++) value = { v: value };
  return value;
}
