/**
 * The conformance kit: the sync protocol's rules (docs/protocol.md) run against any server over HTTP, for
 * programmatic use. The command line is cli.ts.
 */
export type { ConformanceOptions, ConformanceResult } from "./run";
export { ConformanceSetupError, runConformance } from "./run";
export type { Reporter } from "./report";
export { createReporter, formatExchange, formatReport, formatResult, summary } from "./report";
export type { Exchange, RecordedReply, RecordedRequest } from "./http";
