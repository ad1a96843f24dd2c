/**
 * The extension under a flood (`BENCH_ONLY=flood`): a frame of the inspected page posts 200 forged
 * deltas per 20 ms over its own channel for 30 s, with the panel open. Reports the JS heap of the
 * extension's service worker and panel (CDP `Runtime.getHeapUsage`) before, at the peak and after the
 * flood (after a GC), how much the relay dropped, and whether the app's own client kept updating.
 * Baseline: the same heaps with the panel open and no flood, measured in the same run.
 */
import type { BrowserContext } from "@playwright/test";
import { createSyncServer } from "../../demo/server/app";
import { launchWithExtension, openAppWithPanel, targets } from "../browser/extension";

const FLOOD_MS = 30_000;
const SAMPLE_MS = 5_000;

/** Sends one CDP command to a target reached through the browser session (a service worker has no page). */
async function sendToTarget<R>(context: BrowserContext, targetId: string, method: string, params: object = {}): Promise<R> {
  const cdp = await context.browser()!.newBrowserCDPSession();
  try {
    const { sessionId } = (await cdp.send("Target.attachToTarget", { targetId, flatten: false })) as { sessionId: string };
    const reply = new Promise<R>((resolve) => {
      cdp.on("Target.receivedMessageFromTarget", (event: { message: string }) => {
        const message = JSON.parse(event.message) as { id?: number; result?: R };
        if (message.id === 1) resolve(message.result as R);
      });
    });
    await cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id: 1, method, params }) });
    return await reply;
  } finally {
    await cdp.detach();
  }
}

export async function floodBenchmark(root: string, progress: (message: string) => void): Promise<string> {
  const server = createSyncServer({ db: ":memory:", staticMounts: { "/sdk/": `${root}/dist/sdk`, "/test-pages/": `${root}/test/browser/pages` } });
  const { url } = await server.listen(0, "127.0.0.1");
  const browser = await launchWithExtension();
  try {
    const query = new URLSearchParams({ name: "todos", frame: `${url}/test-pages/flood.html?ms=${FLOOD_MS}&burst=200`, frames: "0" });
    const { app, panel } = await openAppWithPanel(browser, `${url}/test-pages/exposed.html?${query}`);
    const worker = (await targets(browser.context)).find((target) => target.type === "service_worker" && target.url.startsWith(`chrome-extension://${browser.extensionId}/`))!;
    const panelCdp = await browser.context.newCDPSession(panel);
    const heaps = async () => {
      const [sw, pane] = await Promise.all([
        sendToTarget<{ usedSize: number }>(browser.context, worker.targetId, "Runtime.getHeapUsage"),
        panelCdp.send("Runtime.getHeapUsage") as Promise<{ usedSize: number }>,
      ]);
      return { worker: sw.usedSize, panel: pane.usedSize };
    };
    const gc = () => Promise.all([sendToTarget(browser.context, worker.targetId, "HeapProfiler.collectGarbage"), panelCdp.send("HeapProfiler.collectGarbage")]);
    await gc();
    const before = await heaps();
    progress(`flood: ${FLOOD_MS / 1000} s of 200 forged deltas per 20 ms from a frame`);
    await app.evaluate((src) => document.body.append(Object.assign(document.createElement("iframe"), { src })), `${url}/test-pages/flood.html?ms=${FLOOD_MS}&burst=200`);
    const started = Date.now();
    let peak = before;
    let saves = 0;
    while (Date.now() - started < FLOOD_MS) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      await app.evaluate((n) => (window as unknown as { client: { save(item: object): Promise<unknown> } }).client.save({ id: `during-${n}`, title: "flood" }), saves++);
      const now = await heaps();
      peak = { worker: Math.max(peak.worker, now.worker), panel: Math.max(peak.panel, now.panel) };
      progress(`flood: ${Math.round((Date.now() - started) / 1000)} s, heaps worker ${mb(now.worker)}, panel ${mb(now.panel)}`);
    }
    await gc();
    const after = await heaps();
    const dropped = (await panel.getByTestId("dropped").textContent().catch(() => null)) ?? "none";
    const client = panel.locator('[data-testid="client"][data-name="todos"]');
    await panel.locator('[data-testid="client-select"]').selectOption({ label: "todos" }).catch(() => undefined);
    await client.getByTestId("tab-timeline").click();
    const live = (await client.getByTestId("timeline").textContent())?.includes(`save during-${saves - 1}`) ?? false;
    return [
      `6. THE EXTENSION UNDER A ${FLOOD_MS / 1000} s FLOOD (a frame posting 200 forged deltas per 20 ms, panel open; JS heap from CDP)`,
      "",
      `   service worker heap: ${mb(before.worker)} before (panel open, no flood), peak ${mb(peak.worker)} (${(peak.worker / before.worker).toFixed(2)}x), ${mb(after.worker)} after a GC`,
      `   panel heap:          ${mb(before.panel)} before, peak ${mb(peak.panel)} (${(peak.panel / before.panel).toFixed(2)}x), ${mb(after.panel)} after a GC`,
      `   relay: ${dropped}; the app's own client ${live ? "kept updating in the panel" : "did NOT show its last save in the panel"}`,
      "",
    ].join("\n");
  } finally {
    await browser.close();
    await server.close();
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
