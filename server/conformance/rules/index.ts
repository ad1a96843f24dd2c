/** Every rule of the kit, in the order they run: the error-body rule that judges the whole run comes last. */
import type { Rule } from "../context";
import { authRules } from "./auth";
import { batchRules } from "./batch";
import { bodyRules } from "./bodies";
import { concurrencyRules } from "./concurrency";
import { corsRules } from "./cors";
import { errorRules } from "./errors";
import { feedRules } from "./feed";
import { idempotencyRules } from "./idempotency";
import { patchRules } from "./patch";
import { preconditionRules } from "./preconditions";
import { recordRules } from "./records";

export const RULES: readonly Rule[] = [
  ...recordRules,
  ...preconditionRules,
  ...idempotencyRules,
  ...concurrencyRules,
  ...batchRules,
  ...feedRules,
  ...patchRules,
  ...bodyRules,
  ...corsRules,
  ...authRules,
  ...errorRules,
];
