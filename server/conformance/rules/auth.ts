/** The ping, which needs no token, and bearer-token auth, checked when the run was given a token. */
import { check, expectError, expectStatus, skip } from "../check.js";
import type { Rule, RuleContext } from "../context.js";
import { expectStored, itemUrl } from "../context.js";

const group = "ping and auth";

export const authRules: Rule[] = [
  {
    group,
    rule: "GET {endpoint}/_ping is 204 with no body, without a token",
    async run(context) {
      const reply = await context.http("GET", `${context.settings.endpoint}/_ping`, { auth: false });
      expectStatus(reply, 204, "the ping");
      check(reply.text === "", "a 204 has no body", reply);
    },
  },
  {
    group,
    rule: "a request without the bearer token, or with another, is 401 unauthorized, applying nothing",
    async run(context) {
      const token = tokenOf(context);
      expectError(await context.http("GET", context.settings.endpoint, { auth: false }), 401, "unauthorized", "a read without Authorization");
      const id = context.id("a");
      const write = (authorization: string | null) =>
        context.http("PUT", itemUrl(context, id), {
          auth: false,
          headers: { "Idempotency-Key": context.key(), ...(authorization !== null && { Authorization: authorization }) },
          body: { id },
        });
      expectError(await write(null), 401, "unauthorized", "a write without Authorization");
      expectError(await write(`Bearer ${token}x`), 401, "unauthorized", "a write with another token");
      await expectStored(context, id, null, "refused writes apply nothing");
    },
  },
  {
    group,
    rule: 'the scheme name is case-insensitive: "bearer <token>" is taken',
    async run(context) {
      const token = tokenOf(context);
      const reply = await context.http("GET", context.settings.endpoint, { auth: false, headers: { Authorization: `bearer ${token}` } });
      expectStatus(reply, 200, 'Authorization: "bearer <token>" (RFC 9110: the scheme is case-insensitive)');
    },
  },
];

function tokenOf(context: RuleContext): string {
  return context.settings.token ?? skip("no --token given");
}
