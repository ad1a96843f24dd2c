// Runs the save() variants of one queue depth interleaved, so that drift (disk flushes, compactions, GC,
// CPU contention on 2 cores) hits all of them alike: every variant is opened and prefilled (untimed),
// warmed up (untimed), then timed in `rounds` rounds of sequential awaited ops, the variant order
// rotating each round. Every op writes a new item. After each variant's slice of a round, what it wrote is
// taken back out and garbage is collected (untimed): the depth holds (depth to depth + ops per round) and no
// variant pays for another's garbage.
import { openNaiveQueueVariant, openRawIdbOutboxVariant, openRawIdbVariant } from "./baselines.js";
import { BREAKDOWN_STEPS, openBreakdownVariant } from "./breakdown.js";
import { openSdkBeforeVariant, openSdkVariant } from "./save-bench.js";

const OPENERS = {
  rawIdb: openRawIdbVariant,
  rawIdbOutbox: openRawIdbOutboxVariant,
  sdk: openSdkVariant,
  naive: openNaiveQueueVariant,
};

function opener(key) {
  if (OPENERS[key]) return (args) => OPENERS[key](args);
  // Not among the listed keys: only the before/after section mounts the earlier build.
  if (key === "sdkBefore") return openSdkBeforeVariant;
  if (key in BREAKDOWN_STEPS) return (args) => openBreakdownVariant({ ...args, step: key });
  throw new Error(`unknown save variant ${key}`);
}

/** Untimed: back to the depth (checking that every op wrote what it should), then a full GC. */
async function settle(handle, written) {
  await handle.trim(written);
  globalThis.gc?.();
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
    for (const v of open) {
      for (let k = 0; k < warmup; k++) await v.handle.op(v.next++);
      await settle(v.handle, warmup);
    }
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
        await settle(v.handle, perRound);
      }
    }
    return Object.fromEntries(open.map((v) => [v.key, { latenciesMs: v.latenciesMs, totalMs: v.totalMs, prefillMs: v.handle.prefillMs }]));
  } finally {
    for (const v of open) await v.handle.close().catch(() => undefined);
  }
}
