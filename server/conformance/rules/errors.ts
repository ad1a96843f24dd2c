/** Error bodies: every non-2xx reply is JSON `{ "error": "<code>", "message": "<text>" }`. */
import { brotliCompressSync } from "node:zlib";
import { RuleFailure, check, expectError, requestLine } from "../check.js";
import type { Rule } from "../context.js";
import { create, get, put, write } from "../context.js";
import type { Reply } from "../http.js";

const group = "error bodies";

export const errorRules: Rule[] = [
  {
    group,
    rule: "error replies are JSON { error, message } with the protocol's code for their status",
    async run(context) {
      const id = context.id("a");
      await create(context, { id });
      const cases: Array<[Reply, number, string, string]> = [
        [await put(context, context.id("b"), {}, "{not json"), 400, "bad_request", "a body that is not JSON"],
        [await get(context, context.id("never")), 404, "not_found", "a GET of an id never written"],
        [await put(context, id, { create: true }, { id }), 409, "version_mismatch", "a create of a live id"],
        [
          await write(context, "PUT", context.id("c"), {}, brotliCompressSync(JSON.stringify({ id: context.id("c") })), { headers: { "Content-Encoding": "br" } }),
          415,
          "unsupported_media_type",
          "Content-Encoding: br",
        ],
      ];
      const key = context.key();
      await put(context, context.id("d"), {}, { id: context.id("d") }, key);
      cases.push([await put(context, context.id("d"), {}, { id: context.id("d"), n: 2 }, key), 422, "idempotency_key_reused", "a key reused with another body"]);
      for (const [reply, status, code, why] of cases) {
        expectError(reply, status, code, why);
        const type = reply.headers.get("content-type") ?? "";
        check(/^application\/([a-z.+-]+\+)?json\b/i.test(type), `an error body is JSON: Content-Type must be application/json, got ${type || "none"}`, reply);
      }
    },
  },
  {
    group,
    rule: "every error reply of the whole run had the { error, message } body",
    async run(context) {
      const { count, malformedCount, malformed } = context.errors;
      if (malformedCount === 0) return `${count} error replies seen, all of them { error, message }`;
      const first = malformed.map((exchange) => `${requestLine(exchange)} answered ${exchange.reply?.status ?? "nothing"}`);
      throw new RuleFailure(
        `${malformedCount} of ${count} error replies of the run had no { "error": "<code>", "message": "<text>" } JSON body; the first: ${first.join("; ")}`,
        malformed,
      );
    },
  },
];
