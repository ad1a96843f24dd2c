/**
 * The extension's service worker: routes bridge messages between content scripts (pages) and DevTools
 * panels, keyed by tab and frame. Ports are named `synclens-page` (from a content script) and
 * `synclens-panel:<tabId>` (from a panel). It holds no state a restart loses for good (see router.ts).
 */
import browser, { type Runtime } from "webextension-polyfill";
import { RECONNECT } from "../sdk/bridge/protocol";
import { Router } from "./router";

const router = new Router();
// For tests (service worker evaluate): which tabs have a client, and what was dropped.
(globalThis as { synclensRouter?: Router }).synclensRouter = router;

browser.runtime.onConnect.addListener((port: Runtime.Port) => {
  const endpoint = { post: (data: unknown) => port.postMessage(data) };
  if (port.name === "synclens-page") {
    const tabId = port.sender?.tab?.id;
    const frameId = port.sender?.frameId ?? 0;
    if (tabId === undefined) return port.disconnect();
    const origin = senderOrigin(port.sender);
    router.addPage(tabId, frameId, endpoint);
    port.onMessage.addListener((data: unknown) => {
      const dropped = (data as { dropped?: unknown } | null)?.dropped;
      if (typeof dropped === "number") router.droppedInPage(tabId, frameId, dropped);
      else router.fromPage(tabId, frameId, data, origin);
    });
    port.onDisconnect.addListener(() => router.removePage(tabId, frameId, endpoint));
    return;
  }
  const match = /^synclens-panel:(\d{1,10})$/.exec(port.name);
  // Only the extension's own pages (the panel) may open a panel port, never a web page.
  if (!match || port.sender?.id !== browser.runtime.id || port.sender?.tab !== undefined && !port.sender.url?.startsWith(browser.runtime.getURL(""))) {
    return port.disconnect();
  }
  const tabId = Number(match[1]);
  router.addPanel(tabId, endpoint);
  // The worker may have stopped while idle, closing every page port: have the tab's frames reconnect
  // (a frame whose port is open, such as an iframe loaded since, ignores it).
  browser.tabs.sendMessage(tabId, RECONNECT).catch(() => undefined);
  port.onMessage.addListener((data: unknown) => router.fromPanel(tabId, data));
  port.onDisconnect.addListener(() => router.removePanel(tabId, endpoint));
});

/** The sending frame's origin, as the browser reports it (never what the page says of itself). */
function senderOrigin(sender: Runtime.MessageSender | undefined): string | undefined {
  const origin = (sender as { origin?: string } | undefined)?.origin;
  if (origin) return origin;
  try {
    return sender?.url ? new URL(sender.url).origin : undefined;
  } catch {
    return undefined;
  }
}
