/**
 * The content script (isolated world, document_start, every frame): relays bridge messages between the
 * page's SDK bridges and the service worker (a runtime port). It talks to the page only over private
 * channels: at document_start, before any page script, it hands the MAIN-world hook (hook.iife.ts) a
 * MessagePort, and through it receives one channel per SDK bridge. It never reads `window` messages,
 * which any page script or frame can post. It validates what each bridge sends, opens its port to the
 * service worker only once a bridge has announced a SyncLens client, and reopens it when the service
 * worker restarts, asking the page for fresh state. A panel command goes only to the bridge whose
 * client it names.
 */
import browser, { type Runtime } from "webextension-polyfill";
import { envelope, HANDOFF_EVENT, HOOK_READY_EVENT, MESSAGE_TAG, parseEnvelope, PROTOCOL_VERSION, RECONNECT, type BridgeMessage } from "../sdk/bridge/protocol";

let port: Runtime.Port | undefined;
let relaying = false;
/** A bridge has announced itself (the page has a SyncLens client): worth reconnecting for. */
let announced = false;
/** Each SDK bridge's private channel, with the client ids its last hello named. */
const bridges = new Map<MessagePort, Set<string>>();

function reconnect(): void {
  port = openPort();
  port.postMessage(envelope({ type: "announce", protocol: PROTOCOL_VERSION }));
}

/** A panel message to the page: `connect` and `disconnect` to every bridge, a command to the one whose client it names. */
function toBridges(message: BridgeMessage): void {
  for (const [bridge, clients] of bridges) {
    if (message.type !== "command" || clients.has(message.clientId)) bridge.postMessage(envelope(message));
  }
}

function openPort(): Runtime.Port {
  const opened = browser.runtime.connect({ name: "synclens-page" });
  opened.onMessage.addListener((data: unknown) => {
    const parsed = parseEnvelope(data, "panel");
    if (!parsed.ok) return;
    if (parsed.message.type === "connect") relaying = true;
    if (parsed.message.type === "disconnect") relaying = false;
    toBridges(parsed.message);
  });
  opened.onDisconnect.addListener(() => {
    port = undefined;
    // The service worker stopped: reconnect, and have the page resend its state to a panel still open.
    if (relaying) reconnect();
  });
  return opened;
}

function toWorker(message: BridgeMessage): void {
  announced = true;
  port ??= openPort();
  try {
    port.postMessage(envelope(message));
  } catch {
    port = openPort();
    port.postMessage(envelope(message));
  }
}

/** The SDK posts at most `updatesPerSecond` (≤ 60) deltas a second per client: a bridge gets that, and a second's worth more for a burst. */
const MESSAGES_PER_CLIENT_PER_SECOND = 60;
/** Messages over the rate, not yet reported to the panel (at most once a second). */
let overRate = 0;
let reportTimer: ReturnType<typeof setTimeout> | undefined;

function reportOverRate(): void {
  overRate++;
  reportTimer ??= setTimeout(() => {
    reportTimer = undefined;
    if (port) port.postMessage({ tag: MESSAGE_TAG, dropped: overRate });
    overRate = 0;
  }, 1000);
}

/** A bridge's channel: what it sends is validated and held to the SDK's rate, and its clients are remembered for routing commands. */
function adopt(bridge: MessagePort): void {
  const clients = new Set<string>();
  bridges.set(bridge, clients);
  let tokens = 2 * MESSAGES_PER_CLIENT_PER_SECOND;
  let refilledAt = Date.now();
  bridge.onmessage = ({ data }: MessageEvent) => {
    const rate = MESSAGES_PER_CLIENT_PER_SECOND * (clients.size + 1);
    const now = Date.now();
    tokens = Math.min(2 * rate, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
    if (tokens < 1) return reportOverRate();
    tokens--;
    const parsed = parseEnvelope(data, "page");
    if (!parsed.ok) return;
    const { message } = parsed;
    if (message.type === "hello") {
      clients.clear();
      for (const { clientId } of message.clients) clients.add(clientId);
    }
    if (message.type === "goodbye") clients.delete(message.clientId);
    toWorker(message);
  };
}

// A panel opened after the service worker stopped while idle (every port closed): announce again.
browser.runtime.onMessage.addListener((data: unknown) => {
  if (announced && port === undefined && typeof data === "object" && data !== null && (data as { reconnect?: unknown }).reconnect === true && (data as { tag?: unknown }).tag === RECONNECT.tag) reconnect();
});

/** Hands the hook a private port; it takes it by cancelling the event (synchronously). Once only. */
let handedOver = false;
function handOver(): void {
  if (handedOver) return;
  const channel = new MessageChannel();
  const taken = !window.dispatchEvent(new MessageEvent(HANDOFF_EVENT, { ports: [channel.port2], cancelable: true }));
  if (!taken) {
    channel.port1.close();
    return;
  }
  handedOver = true;
  window.removeEventListener(HOOK_READY_EVENT, handOver);
  channel.port1.onmessage = ({ data, ports }: MessageEvent) => {
    if ((data as { type?: unknown } | null)?.type === "bridge" && ports[0]) adopt(ports[0]);
  };
}
handOver();
// The hook may run after this script: it announces itself, and the hand-over happens then.
if (!handedOver) window.addEventListener(HOOK_READY_EVENT, handOver);
