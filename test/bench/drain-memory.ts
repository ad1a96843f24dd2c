/**
 * Issue 20's memory check, part of section 8: a 100,000-operation queue drains with memory flat, its peak heap
 * within 2× that of a 1,000-operation drain. Each queue is prefilled with save() (untimed), then drained with
 * sync() on the null server while its live JS heap is sampled from here: garbage collected through the Chrome
 * DevTools Protocol, then the heap used read, every SAMPLE_MS. Uncollected garbage would make any longer drain
 * peak higher (the heap climbs to 30 MB and drops at each collection), whatever it keeps alive.
 */
import type { CDPSession, Page } from "@playwright/test";
import { setTimeout as sleep } from "node:timers/promises";
import { callBench } from "./browser";

const SIZES = [1_000, 100_000] as const;
/** Between samples; each sample collects garbage first, so it measures what is live. */
const SAMPLE_MS = 100;

interface HeapRun {
  count: number;
  prefillMs: number;
  drainMs: number;
  /** JS heap used after the garbage collection that follows the prefill. */
  beforeBytes: number;
  /** Live JS heap during the drain, every SAMPLE_MS. */
  samples: number[];
}

export async function drainMemoryLines(page: Page, runId: string, progress: (message: string) => void): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  const runs: HeapRun[] = [];
  try {
    for (const count of SIZES) {
      progress(`drain memory: prefilling ${count} saves (untimed), then draining on the null server with the heap sampled`);
      runs.push(await heapOfDrain(page, cdp, `${runId}-${count}`, count));
    }
  } finally {
    await cdp.detach();
  }
  const [small, large] = runs as [HeapRun, HeapRun];
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const peak = (run: HeapRun) => Math.max(run.beforeBytes, ...run.samples);
  const growth = (run: HeapRun) => peak(run) - run.beforeBytes;
  return [
    `   Memory of a drain on the null server (the page's live JS heap: garbage collected, then the heap used read, every ${SAMPLE_MS} ms):`,
    ...runs.flatMap((run) => [
      `     ${run.count.toLocaleString("en-US").padStart(7)} ops: before ${mb(run.beforeBytes)} MB, peak ${mb(peak(run))} MB, growth ${mb(growth(run))} MB` +
        ` (drained in ${(run.drainMs / 1000).toFixed(1)} s, ${run.samples.length} samples; prefill ${(run.prefillMs / 1000).toFixed(1)} s)`,
      `                  peak in each quarter of the drain: ${quarterPeaks(run.samples).map((low) => (low === undefined ? "-" : mb(low))).join(" / ")} MB`,
    ]),
    `     ${large.count.toLocaleString("en-US")} over ${small.count.toLocaleString("en-US")}: growth ${(growth(large) / growth(small)).toFixed(2)}×, ` +
      `peak ${(peak(large) / peak(small)).toFixed(2)}× (target: peak within 2×)`,
  ];
}

/** The highest sample in each quarter of the drain (undefined for a quarter with no sample): a heap that grows with the drain shows here. */
function quarterPeaks(samples: number[]): Array<number | undefined> {
  return [0, 1, 2, 3].map((quarter) => {
    const part = samples.slice(Math.floor((quarter * samples.length) / 4), Math.floor(((quarter + 1) * samples.length) / 4));
    return part.length === 0 ? undefined : Math.max(...part);
  });
}

async function heapOfDrain(page: Page, cdp: CDPSession, runId: string, count: number): Promise<HeapRun> {
  const { prefillMs } = await callBench(page, "memoryPrefill", { runId, count });
  await cdp.send("HeapProfiler.collectGarbage");
  const used = async () => (await cdp.send("Runtime.getHeapUsage")).usedSize;
  const beforeBytes = await used();
  const sampling = { on: true, samples: [] as number[] };
  const sampler = (async () => {
    while (sampling.on) {
      await cdp.send("HeapProfiler.collectGarbage");
      sampling.samples.push(await used());
      await sleep(SAMPLE_MS);
    }
  })();
  let drainMs: number;
  try {
    drainMs = (await callBench(page, "memoryDrain", null)).totalMs;
  } finally {
    sampling.on = false;
    await sampler;
  }
  return { count, prefillMs, drainMs, beforeBytes, samples: sampling.samples };
}
