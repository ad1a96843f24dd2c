/**
 * Before/after (`BENCH_ONLY=seam`): save() and the drain of the current SDK against an earlier build of it,
 * in one run and one page, interleaved, so the transport seam's cost (or any change's) is a ratio with its
 * own noise beside it. The earlier build is made from a git ref (`BENCH_BEFORE`, default: the commit before
 * the transport option) in a temporary worktree: `vite build --mode sdk` there, served as /sdk-before/.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { callBench, openBenchPage } from "./browser";
import { startBenchServer } from "./server";
import { median, pairedRatios, summarize } from "./stats";
import type { TimedRun } from "./types";

/** The parent of "SDK: a transport option (issue 19)": the client before the seam and before its split into layers. */
const DEFAULT_BEFORE = "11e0b3c";
const DEPTHS = [0, 1_000];
const SAVE_OPS = 1_000;
const ROUNDS = 20;
const DRAIN_COUNT = 5_000;
const DRAIN_RUNS = 3;

export async function seamBenchmark(root: string, progress: (message: string) => void): Promise<string> {
  const ref = process.env["BENCH_BEFORE"] ?? DEFAULT_BEFORE;
  const dir = mkdtempSync(join(tmpdir(), "synclens-before-"));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, stdio: "pipe", encoding: "utf8" }).trim();
  const commit = git("rev-parse", "--short", ref);
  progress(`seam: building the SDK at ${commit} in a worktree`);
  git("worktree", "add", "--detach", dir, commit);
  try {
    symlinkSync(resolve(root, "node_modules"), join(dir, "node_modules"));
    execFileSync(process.execPath, [resolve(root, "node_modules/vite/bin/vite.js"), "build", "--mode", "sdk", "--logLevel", "error"], { cwd: dir, stdio: "pipe" });
    const { server, url } = await startBenchServer(root, join(dir, "dist/sdk"));
    const browser = await openBenchPage(`${url}/`);
    try {
      const runId = Date.now().toString(36);
      const lines = [`7. BEFORE/AFTER: the current SDK against ${commit} (${ref}), in one page, interleaved`, ""];
      for (const depth of DEPTHS) {
        progress(`seam: save() at depth ${depth}, ${SAVE_OPS} ops each in ${ROUNDS} rounds`);
        const runs = (await callBench(browser.page, "saveSuite", { runId: `${runId}-${depth}`, depth, warmup: 50, rounds: ROUNDS, variants: [{ key: "sdk", n: SAVE_OPS }, { key: "sdkBefore", n: SAVE_OPS }] })) as Record<string, TimedRun>;
        const [after, before] = [runs["sdk"]!, runs["sdkBefore"]!];
        const paired = pairedRatios(after, before, ROUNDS);
        const [a, b] = [summarize(after), summarize(before)];
        lines.push(
          `   save() at depth ${depth}: p50 ${a.p50Ms.toFixed(3)} ms now, ${b.p50Ms.toFixed(3)} ms before; ${a.opsPerSec.toFixed(0)} against ${b.opsPerSec.toFixed(0)} ops/s`,
          `     now/before, round by round: p50 ${paired.p50.median.toFixed(2)}× [${paired.p50.min.toFixed(2)}–${paired.p50.max.toFixed(2)}], time per op ${paired.thru.median.toFixed(2)}× [${paired.thru.min.toFixed(2)}–${paired.thru.max.toFixed(2)}]`,
        );
      }
      progress(`seam: drain of ${DRAIN_COUNT} writes, ${DRAIN_RUNS} runs each, alternating`);
      const drains: Record<"now" | "before", number[]> = { now: [], before: [] };
      for (let run = 0; run < DRAIN_RUNS * 2; run++) {
        const before = run % 2 === 1;
        const result = (await callBench(browser.page, "drainSdk", { runId: `${runId}-drain-${run}`, count: DRAIN_COUNT, collection: `seam_${runId}_${run}`, before })) as { pushed: number; totalMs: number };
        if (result.pushed !== DRAIN_COUNT) throw new Error(`the drain pushed ${result.pushed} of ${DRAIN_COUNT}`);
        drains[before ? "before" : "now"].push((result.pushed / result.totalMs) * 1000);
      }
      const [now, then] = [median(drains.now), median(drains.before)];
      const each = (rates: number[]) => rates.map((rate) => rate.toFixed(0)).join(", ");
      lines.push(
        `   drain of ${DRAIN_COUNT} writes (push only): ${now.toFixed(0)} ops/s now (runs: ${each(drains.now)}), ${then.toFixed(0)} before (runs: ${each(drains.before)}): ${(now / then).toFixed(2)}× the rate`,
      );
      return lines.join("\n");
    } finally {
      await browser.close();
      await server.close();
    }
  } finally {
    git("worktree", "remove", "--force", dir);
    rmSync(dir, { recursive: true, force: true });
  }
}
