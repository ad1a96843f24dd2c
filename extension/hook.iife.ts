/**
 * The MAIN-world script (document_start, every frame, before any page script): installs the page's one
 * way to the extension, `window.__SYNCLENS_DEVTOOLS__` (see `DevtoolsHook` in sdk/bridge/protocol.ts).
 * The relay (content.iife.ts, isolated world) hands it a private MessagePort; each SDK bridge that calls
 * `connect()` gets a channel of its own through it. A page script can call `connect()` too, and pose as
 * a client on its own channel, but it can neither reach another bridge's channel nor replace the hook.
 */
import { DEVTOOLS_HOOK, HANDOFF_EVENT, HOOK_READY_EVENT, PROTOCOL_VERSION, type DevtoolsHook } from "../sdk/bridge/protocol";

let relay: MessagePort | undefined;

const take = (event: Event): void => {
  const port = (event as MessageEvent).ports?.[0];
  if (relay || !port) return;
  relay = port;
  event.preventDefault(); // tells the relay, synchronously, that its port was taken
  window.removeEventListener(HANDOFF_EVENT, take);
};

if (!(DEVTOOLS_HOOK in window)) {
  window.addEventListener(HANDOFF_EVENT, take);
  const hook: DevtoolsHook = Object.freeze({
    protocol: PROTOCOL_VERSION,
    connect(): MessagePort | undefined {
      if (!relay) return undefined;
      const channel = new MessageChannel();
      relay.postMessage({ type: "bridge" }, [channel.port2]);
      return channel.port1;
    },
  });
  Object.defineProperty(window, DEVTOOLS_HOOK, { value: hook, writable: false, configurable: false, enumerable: false });
  // The relay may have run first: ask it to hand over now.
  window.dispatchEvent(new Event(HOOK_READY_EVENT));
}
