/**
 * The content script (isolated world, document_start, every frame): relays bridge messages between the
 * page (`window.postMessage`) and the service worker (a runtime port). It accepts from the page only
 * messages the page posted to itself with the protocol's tag, validated; it opens its port only once the
 * page has announced a SyncLens client, and reopens it when the service worker restarts, asking the page
 * for fresh state.
 */
import browser, { type Runtime } from "webextension-polyfill";
import { envelope, isEnvelopeFrom, parseEnvelope, PROTOCOL_VERSION, RECONNECT } from "../sdk/bridge/protocol";

let port: Runtime.Port | undefined;
let relaying = false;
/** The page has posted bridge messages (it has a SyncLens client): worth reconnecting for. */
let announced = false;

function reconnect(): void {
  port = openPort();
  port.postMessage(envelope({ type: "announce", protocol: PROTOCOL_VERSION }));
}

function openPort(): Runtime.Port {
  const opened = browser.runtime.connect({ name: "synclens-page" });
  opened.onMessage.addListener((data: unknown) => {
    const parsed = parseEnvelope(data, "panel");
    if (!parsed.ok) return;
    if (parsed.message.type === "connect") relaying = true;
    if (parsed.message.type === "disconnect") relaying = false;
    window.postMessage(envelope(parsed.message), window.location.origin);
  });
  opened.onDisconnect.addListener(() => {
    port = undefined;
    // The service worker stopped: reconnect, and have the page resend its state to a panel still open.
    if (relaying) reconnect();
  });
  return opened;
}

// A panel opened after the service worker stopped while idle (every port closed): announce again.
browser.runtime.onMessage.addListener((data: unknown) => {
  if (announced && port === undefined && typeof data === "object" && data !== null && (data as { reconnect?: unknown }).reconnect === true && (data as { tag?: unknown }).tag === RECONNECT.tag) reconnect();
});

window.addEventListener("message", (event: MessageEvent) => {
  if (event.source !== window) return;
  const data: unknown = event.data;
  if (!isEnvelopeFrom(data, "page")) return; // not ours, or our own relay of a panel message
  const parsed = parseEnvelope(data, "page");
  if (!parsed.ok) return;
  announced = true;
  port ??= openPort();
  try {
    port.postMessage(envelope(parsed.message));
  } catch {
    port = openPort();
    port.postMessage(envelope(parsed.message));
  }
});
