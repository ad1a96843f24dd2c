// Exposes the benchmark functions to test/bench/run.ts, which calls them through page.evaluate.
import { bridgeRun, bridgeSetup } from "./bridge-bench.js";
import { timerResolutionMs } from "./common.js";
import { drainFetch } from "./drain-baseline.js";
import { drainSdk, memoryDrain, memoryPrefill } from "./drain-bench.js";
import { drainFloor } from "./drain-floor.js";
import { drainWorkbox } from "./drain-workbox.js";
import { saveSuite, saveVariantKeys } from "./save-suite.js";

window.bench = {
  saveSuite,
  saveVariantKeys: async () => saveVariantKeys(),
  drainSdk,
  memoryPrefill,
  memoryDrain,
  drainFetch,
  drainFloor,
  drainWorkbox,
  bridgeSetup,
  bridgeRun,
  environment: async () => ({
    userAgent: navigator.userAgent,
    timerResolutionMs: timerResolutionMs(),
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    secureContext: globalThis.isSecureContext === true,
  }),
};
window.benchReady = true;
