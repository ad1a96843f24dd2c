/**
 * Where the drain's time goes (`BENCH_ONLY=drain`, issue 20's first step): the SDK's drain against a null
 * server (answers at once, stores nothing) beside the raw-idb drain floor (drain-floor.js: take 50, one fetch,
 * settle 50, nothing more), the same drain against the reference server, Workbox's background-sync replay of an
 * equal queue on the null server (drain-workbox.js, one request per write), a CPU profile of one SDK drain
 * through the Chrome DevTools Protocol, its self time summed by function, and the page's heap during a drain of
 * 1,000 and of 100,000 operations (drain-memory.ts).
 */
import { callBench, openBenchPage } from "./browser";
import { drainMemoryLines } from "./drain-memory";
import { startBenchServer } from "./server";
import { median } from "./stats";

const COUNT = 2_000;
const BATCH = 50;
const RUNS = 3;
/** The drain with a DevTools panel open: issue 20 asks that the bridge stay cheap during a 10,000-op drain. */
const PANEL_COUNT = 10_000;

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

export async function drainProfileBenchmark(root: string, progress: (message: string) => void): Promise<string> {
  const { server, url, nullRequests } = await startBenchServer(root);
  const browser = await openBenchPage(`${url}/`);
  try {
    const runId = Date.now().toString(36);
    const rates: Record<"floor" | "sdkNull" | "sdkFixed" | "sdkReference" | "workbox", number[]> = { floor: [], sdkNull: [], sdkFixed: [], sdkReference: [], workbox: [] };
    let requests = 0;
    for (let run = 0; run < RUNS; run++) {
      progress(`drain: run ${run + 1}/${RUNS}: floor, SDK on the null server (batches growing, then fixed), SDK on the reference server, Workbox on the null server (${COUNT} writes each)`);
      const floor = await callBench(browser.page, "drainFloor", { runId: `${runId}-${run}`, count: COUNT, url: `${url}/null/floor/_batch`, batchSize: BATCH });
      rates.floor.push((floor.pushed / floor.totalMs) * 1000);
      const onNull = await callBench(browser.page, "drainSdk", { runId: `${runId}-n${run}`, count: COUNT, collection: `null_${run}`, base: "/null" });
      rates.sdkNull.push((onNull.pushed / onNull.totalMs) * 1000);
      requests = onNull.requests;
      const fixed = await callBench(browser.page, "drainSdk", { runId: `${runId}-f${run}`, count: COUNT, collection: `fixed_${run}`, base: "/null", maxBatchSize: BATCH });
      rates.sdkFixed.push((fixed.pushed / fixed.totalMs) * 1000);
      const onReference = await callBench(browser.page, "drainSdk", { runId: `${runId}-r${run}`, count: COUNT, collection: `ref_${runId}_${run}` });
      rates.sdkReference.push((onReference.pushed / onReference.totalMs) * 1000);
      const workboxCollection = `workbox_${run}`;
      const workbox = await callBench(browser.page, "drainWorkbox", { runId: `${runId}-${run}`, count: COUNT, url: `${url}/null/${workboxCollection}` });
      // Workbox replays a request again only if its fetch throws: an error status would pass unnoticed in the page.
      const answered = nullRequests.get(workboxCollection) ?? 0;
      if (answered !== COUNT) throw new Error(`Workbox replay: the null server answered ${answered} of ${COUNT} requests`);
      rates.workbox.push((COUNT / workbox.totalMs) * 1000);
    }

    progress(`drain: ${PANEL_COUNT} writes on the null server with and without a DevTools panel connected, ${RUNS} runs each`);
    const panelRates: Record<"without" | "with", number[]> = { without: [], with: [] };
    let bridge = { messages: 0, bytes: 0, ms: 0 };
    for (let run = 0; run < RUNS; run++) {
      const without = await callBench(browser.page, "drainSdk", { runId: `${runId}-p${run}`, count: PANEL_COUNT, collection: `nopanel_${run}`, base: "/null" });
      panelRates.without.push((without.pushed / without.totalMs) * 1000);
      const watched = await callBench(browser.page, "drainSdk", { runId: `${runId}-w${run}`, count: PANEL_COUNT, collection: `panel_${run}`, base: "/null", panel: true });
      panelRates.with.push((watched.pushed / watched.totalMs) * 1000);
      if (watched.bridge) bridge = { ...watched.bridge, ms: watched.totalMs };
    }

    progress("drain: a CPU profile of one SDK drain on the null server");
    const cdp = await browser.context.newCDPSession(browser.page);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 100 });
    // The page wraps the drain alone (not its prefill) in console.profile(); the session gets that profile.
    const recorded = new Promise<Profile>((resolve) => cdp.once("Profiler.consoleProfileFinished", (event) => resolve((event as unknown as { profile: Profile }).profile)));
    const profiled = await callBench(browser.page, "drainSdk", { runId: `${runId}-profile`, count: COUNT, collection: "null_profile", base: "/null", profile: true });
    const profile = await recorded;
    await cdp.detach();

    const memory = await drainMemoryLines(browser.page, runId, progress);

    const fmt = (values: number[]) => `${median(values).toFixed(0)} ops/s (runs: ${values.map((value) => value.toFixed(0)).join(", ")})`;
    const [floor, sdkNull, sdkFixed, sdkReference, workbox] = [median(rates.floor), median(rates.sdkNull), median(rates.sdkFixed), median(rates.sdkReference), median(rates.workbox)];
    return [
      `8. DRAIN, WHERE THE TIME GOES: ${COUNT} queued writes, batches of ${BATCH}, ${RUNS} runs each`,
      `   raw-idb floor on the null server:  ${fmt(rates.floor)}`,
      `   SDK on the null server:            ${fmt(rates.sdkNull)}: ${(sdkNull / floor).toFixed(2)}× the floor's rate (${requests} requests: batches grow from 50 to 200)`,
      `   the same, batches fixed at ${BATCH}:     ${fmt(rates.sdkFixed)}: ${(sdkFixed / floor).toFixed(2)}× the floor's rate, ${((1000 / sdkFixed) - (1000 / floor)).toFixed(3)} ms more per write (maxBatchSize: ${BATCH})`,
      `   SDK on the reference server:       ${fmt(rates.sdkReference)}: ${(sdkReference / floor).toFixed(2)}× the floor's rate (SQLite in memory)`,
      `   Workbox background-sync replay of an equal queue on the null server (one PUT per write, in a service worker):`,
      `                                      ${fmt(rates.workbox)}: the SDK on the null server drains ${(sdkNull / workbox).toFixed(1)}× as fast (target: ≥ 20×)`,
      `   ${PANEL_COUNT.toLocaleString("en-US")} writes on the null server, a DevTools panel connected: ${fmt(panelRates.with)}, ${(median(panelRates.with) / median(panelRates.without)).toFixed(2)}× the rate without one (${fmt(panelRates.without)});`,
      `     the bridge sent ${bridge.messages} messages, ${(bridge.bytes / 1024).toFixed(0)} KiB, in the last ${(bridge.ms / 1000).toFixed(1)} s drain`,
      "",
      `   IndexedDB calls of one SDK drain, per write (the floor makes ${(2 / BATCH).toFixed(2)} transactions, ${(1 / BATCH).toFixed(2)} getAll, ${(1 / BATCH).toFixed(2)} getAllKeys, 1 delete and 1 put per write):`,
      `     ${Object.entries(profiled.idbCalls ?? {}).sort((a, b) => b[1] - a[1]).map(([name, calls]) => `${name} ${(calls / COUNT).toFixed(2)}`).join(", ")}`,
      "",
      `   CPU profile of one SDK drain on the null server, the drain alone (self time by function, sampled every 100 µs;`,
      "   (idle): the page waits on IndexedDB's process or the network; (program): the browser's own work in the page's thread):",
      ...selfTimes(profile),
      "",
      ...memory,
    ].join("\n");
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The functions with the most self time, with their share of the sampled time. */
function selfTimes(profile: Profile, top = 15): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const file = frame.url.replace(/^.*\//, "") || "(native)";
    const key = `${frame.functionName || "(anonymous)"} ${file}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + delta);
    total += delta;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, micros]) => `     ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(1).padStart(7)} ms  ${key}`);
}
