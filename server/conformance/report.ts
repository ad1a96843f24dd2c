/** The report: a PASS, FAIL or SKIP line per rule under its group, failures with their exchanges, a summary. */
import type { Exchange } from "./http.js";
import type { ConformanceResult } from "./run.js";

/** Prints results as they come: a group's heading before its first rule. */
export type Reporter = { result(result: ConformanceResult): void; end(results: readonly ConformanceResult[]): void };

/** A reporter that hands each piece of text (whole lines) to `write`. */
export function createReporter(write: (text: string) => void): Reporter {
  let group: string | null = null;
  return {
    result(result) {
      if (result.group !== group) {
        write(`${group === null ? "" : "\n"}${result.group}\n`);
        group = result.group;
      }
      write(formatResult(result));
    },
    end(results) {
      write(`\n${summary(results)}\n`);
    },
  };
}

/** The whole report of a run, as the CLI prints it. */
export function formatReport(results: readonly ConformanceResult[]): string {
  let text = "";
  const reporter = createReporter((piece) => (text += piece));
  for (const result of results) reporter.result(result);
  reporter.end(results);
  return text;
}

/** `N passed, M failed`, and how many were skipped when any were. */
export function summary(results: readonly ConformanceResult[]): string {
  const skipped = results.filter((result) => result.skipped).length;
  const failed = results.filter((result) => !result.pass).length;
  const passed = results.length - failed - skipped;
  return `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
}

/** One rule's lines: `  PASS  rule`, with a failure's message and exchanges indented below it. */
export function formatResult(result: ConformanceResult): string {
  const status = result.skipped ? "SKIP" : result.pass ? "PASS" : "FAIL";
  if (result.pass) return `  ${status}  ${result.rule}${result.message ? ` (${result.message})` : ""}\n`;
  const lines = [`  ${status}  ${result.rule}`, ...indent(result.message ?? "", 8)];
  for (const exchange of result.exchanges ?? []) lines.push("", ...indent(formatExchange(exchange), 8));
  return `${lines.join("\n")}\n\n`;
}

/** A request (`>` lines) and its reply (`<` lines), or what stood for the reply. */
export function formatExchange(exchange: Exchange): string {
  const { request, reply, error } = exchange;
  const lines = [`> ${request.method} ${request.url}`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`> ${name}: ${value}`);
  if (request.body !== undefined) lines.push(`> ${oneLine(request.body)}`);
  if (reply) {
    lines.push(`< ${reply.status}`);
    for (const [name, value] of Object.entries(reply.headers)) lines.push(`< ${name}: ${value}`);
    if (reply.body !== "") lines.push(`< ${oneLine(reply.body)}`);
  } else {
    lines.push(`< no reply: ${error ?? "unknown"}`);
  }
  return lines.join("\n");
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, "\\n");
}

function indent(text: string, spaces: number): string[] {
  return text === "" ? [] : text.split("\n").map((line) => `${" ".repeat(spaces)}${line}`);
}
