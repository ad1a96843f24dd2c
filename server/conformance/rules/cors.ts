/** CORS: the SDK runs in pages of other origins, so preflights must pass and replies must be readable. */
import { check, fail, listsToken } from "../check.js";
import type { Rule, RuleContext } from "../context.js";
import { create, itemUrl, write } from "../context.js";
import type { Reply } from "../http.js";

const group = "CORS";

const ORIGIN = "https://app.conformance.example";
const PROTOCOL_HEADERS = ["content-type", "content-encoding", "authorization", "idempotency-key", "if-match", "if-none-match"];
const EXPOSED = ["etag", "retry-after", "idempotent-replayed", "date"];

export const corsRules: Rule[] = [
  {
    group,
    rule: "a preflight is 2xx, allowing the origin, PATCH and the protocol's request headers",
    async run(context) {
      const reply = await preflight(context, "PATCH", PROTOCOL_HEADERS.join(", "));
      expectPreflight(reply, "PATCH", PROTOCOL_HEADERS);
      for (const method of ["PUT", "DELETE"]) expectPreflight(await preflight(context, method, "idempotency-key, if-match"), method, ["idempotency-key", "if-match"]);
    },
  },
  {
    group,
    rule: "a preflight allows an app's own request header (X-Tenant)",
    async run(context) {
      expectPreflight(await preflight(context, "PUT", "idempotency-key, x-tenant"), "PUT", ["idempotency-key", "x-tenant"]);
    },
  },
  {
    group,
    rule: "replies allow the origin and expose ETag, Retry-After, Idempotent-Replayed and Date",
    async run(context) {
      const id = context.id("a");
      const written = await write(context, "PUT", id, { create: true }, { id }, { headers: { Origin: ORIGIN } });
      check(written.status === 201, "setting up: a create", written);
      expectReadable(written);
      expectReadable(await context.http("GET", context.settings.endpoint, { headers: { Origin: ORIGIN } }));
    },
  },
  {
    group,
    rule: "error replies carry the CORS headers too (a page must read a 409's current)",
    async run(context) {
      const id = context.id("a");
      await create(context, { id });
      const conflict = await write(context, "PUT", id, { create: true }, { id }, { headers: { Origin: ORIGIN } });
      check(conflict.status === 409, "setting up: a create of a live id", conflict);
      expectReadable(conflict);
      const absent = await context.http("GET", itemUrl(context, context.id("never")), { headers: { Origin: ORIGIN } });
      check(absent.status === 404, "setting up: a GET of an absent id", absent);
      expectReadable(absent);
    },
  },
];

/** A browser's preflight: no credentials, the method and headers the request will carry. */
function preflight(context: RuleContext, method: string, headers: string): Promise<Reply> {
  return context.http("OPTIONS", itemUrl(context, context.id("a")), {
    auth: false,
    headers: { Origin: ORIGIN, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers },
  });
}

function expectPreflight(reply: Reply, method: string, headers: string[]): void {
  check(reply.status >= 200 && reply.status < 300, `a preflight for ${method} must be answered 2xx, got ${reply.status}`, reply);
  expectOrigin(reply);
  const methods = reply.headers.get("access-control-allow-methods");
  check(listsToken(methods, method) || listsToken(methods, "*"), `Access-Control-Allow-Methods must list ${method}, got ${methods ?? "none"}`, reply);
  const allowed = reply.headers.get("access-control-allow-headers");
  // "*" allows every header but Authorization, which must be named (Fetch standard).
  const missing = headers.filter((name) => !listsToken(allowed, name) && !(name !== "authorization" && listsToken(allowed, "*")));
  if (missing.length > 0) fail(`Access-Control-Allow-Headers must allow ${missing.join(", ")}, got ${allowed ?? "none"}`, reply);
}

function expectOrigin(reply: Reply): void {
  const origin = reply.headers.get("access-control-allow-origin");
  check(origin === "*" || origin === ORIGIN, `Access-Control-Allow-Origin must be * or ${ORIGIN}, got ${origin ?? "none"}`, reply);
}

/** A page of another origin may read the reply and the headers the SDK needs. */
function expectReadable(reply: Reply): void {
  expectOrigin(reply);
  const exposed = reply.headers.get("access-control-expose-headers");
  const missing = EXPOSED.filter((name) => !listsToken(exposed, name) && !listsToken(exposed, "*"));
  if (missing.length > 0) fail(`Access-Control-Expose-Headers must expose ${missing.join(", ")}, got ${exposed ?? "none"}`, reply);
}
