/**
 * The conformance kit: the sync protocol's rules (docs/protocol.md) run against any server over HTTP, for
 * programmatic use. The command line is cli.ts.
 */
export type { ConformanceOptions, ConformanceResult } from "./run.js";
export { ConformanceSetupError, runConformance } from "./run.js";
export type { Reporter } from "./report.js";
export { createReporter, formatExchange, formatReport, formatResult, summary } from "./report.js";
export type { Exchange, RecordedReply, RecordedRequest } from "./http.js";
