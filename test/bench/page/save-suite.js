// Runs the save() variants of one queue depth interleaved, so that drift (disk flushes, compactions, GC,
// CPU contention on 2 cores) hits all of them alike: every variant is opened and prefilled (untimed),
// warmed up (untimed), then timed in `rounds` rounds of sequential awaited ops, the variant order
// rotating each round. Every op writes a new item.
import { openNaiveQueueVariant, openRawIdbOutboxVariant, openRawIdbVariant } from "./baselines.js";
import { BREAKDOWN_STEPS, openBreakdownVariant } from "./breakdown.js";
import { openSdkVariant } from "./save-bench.js";

const OPENERS = {
  rawIdb: openRawIdbVariant,
  rawIdbOutbox: openRawIdbOutboxVariant,
  sdk: openSdkVariant,
  naive: openNaiveQueueVariant,
};

function opener(key) {
  if (OPENERS[key]) return (args) => OPENERS[key](args);
  if (key in BREAKDOWN_STEPS) return (args) => openBreakdownVariant({ ...args, step: key });
  throw new Error(`unknown save variant ${key}`);
}

export const saveVariantKeys = () => [...Object.keys(OPENERS), ...Object.keys(BREAKDOWN_STEPS)];

/** `variants`: [{ key, n }], n timed ops each (a multiple of `rounds`). */
export async function saveSuite({ runId, depth, warmup, rounds, variants }) {
  const open = [];
  try {
    for (const { key, n } of variants) {
      if (n % rounds !== 0) throw new Error(`${key}: ${n} ops do not split into ${rounds} rounds`);
      open.push({ key, n, handle: await opener(key)({ runId, depth }), latenciesMs: [], totalMs: 0, next: 0 });
    }
    for (const v of open) for (let k = 0; k < warmup; k++) await v.handle.op(v.next++);
    for (let round = 0; round < rounds; round++) {
      for (let j = 0; j < open.length; j++) {
        const v = open[(round + j) % open.length];
        const perRound = v.n / rounds;
        const roundStarted = performance.now();
        for (let k = 0; k < perRound; k++) {
          const t0 = performance.now();
          await v.handle.op(v.next++);
          v.latenciesMs.push(performance.now() - t0);
        }
        v.totalMs += performance.now() - roundStarted;
      }
    }
    for (const v of open) await v.handle.verify(v.next);
    return Object.fromEntries(open.map((v) => [v.key, { latenciesMs: v.latenciesMs, totalMs: v.totalMs, prefillMs: v.handle.prefillMs }]));
  } finally {
    for (const v of open) await v.handle.close().catch(() => undefined);
  }
}
