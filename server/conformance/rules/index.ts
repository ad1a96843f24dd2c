/** Every rule of the kit, in the order they run: the error-body rule that judges the whole run comes last. */
import type { Rule } from "../context.js";
import { authRules } from "./auth.js";
import { batchRules } from "./batch.js";
import { bodyRules } from "./bodies.js";
import { concurrencyRules } from "./concurrency.js";
import { corsRules } from "./cors.js";
import { errorRules } from "./errors.js";
import { feedRules } from "./feed.js";
import { idempotencyRules } from "./idempotency.js";
import { patchRules } from "./patch.js";
import { preconditionRules } from "./preconditions.js";
import { recordRules } from "./records.js";

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
