#!/usr/bin/env node
/**
 * `synclens-conformance <base-url> [--token T] [--collection NAME] [--timeout-ms N]`: runs the sync
 * protocol's rules against a server and prints each as PASS or FAIL. Exit codes: 0 when every rule passed,
 * 1 when any failed, 2 on bad usage or when the run could not start (server unreachable, token refused).
 */
import { parseArgs } from "node:util";
import { createReporter } from "./report.js";
import { ConformanceSetupError, runConformance } from "./run.js";

const USAGE = `usage: synclens-conformance <base-url> [--token T] [--collection NAME] [--timeout-ms N]

Runs the SyncLens sync protocol's rules (docs/protocol.md) against the server whose collections are under
<base-url> (as http://127.0.0.1:8787/api for /api/<collection>), and prints each rule as PASS or FAIL,
a failure with the request it sent and the reply it got.

  --token T          send Authorization: Bearer T (and check the server's auth)
  --collection NAME  use this collection (for a server that serves only fixed ones); by default a new
                     one, conformance_<random>, that nothing else writes to
  --timeout-ms N     how long one request may take (default 30000)
  -h, --help         this text

Exit codes: 0 every rule passed, 1 some rule failed, 2 bad usage or the server could not be reached.`;

function usageError(message: string): never {
  process.stderr.write(`synclens-conformance: ${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parseCli() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        token: { type: "string" },
        collection: { type: "string" },
        "timeout-ms": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
}

const { values, positionals } = parseCli();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (positionals.length !== 1) usageError(positionals.length === 0 ? "the base URL is missing" : `one base URL, not ${positionals.length} arguments`);
const timeoutMs = values["timeout-ms"] === undefined ? 30_000 : Number(values["timeout-ms"]);
if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) usageError(`--timeout-ms takes a positive number of milliseconds, not ${values["timeout-ms"]}`);

const reporter = createReporter((text) => process.stdout.write(text));
try {
  const results = await runConformance({
    baseUrl: positionals[0]!,
    timeoutMs,
    onResult: (result) => reporter.result(result),
    ...(values.token !== undefined && { token: values.token }),
    ...(values.collection !== undefined && { collection: values.collection }),
  });
  reporter.end(results);
  process.exitCode = results.every((result) => result.pass) ? 0 : 1;
} catch (error) {
  const message = error instanceof ConformanceSetupError ? error.message : `the kit failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  process.stderr.write(`synclens-conformance: ${message}\n`);
  process.exitCode = 2;
}
