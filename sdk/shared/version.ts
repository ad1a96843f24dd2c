/** The SDK's version, reported in snapshots and to the DevTools panel. Kept equal to package.json's by a test. */
export const SDK_VERSION = "0.1.0";
