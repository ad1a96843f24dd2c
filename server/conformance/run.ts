/** `runConformance`: every rule of the protocol against a server, one after another, each on its own ids. */
import { randomBytes } from "node:crypto";
import { RuleFailure, RuleSkipped, isErrorBody } from "./check.js";
import type { ErrorJournal, Feature, Features, Rule, RuleContext, RunSettings } from "./context.js";
import type { Exchange, Http } from "./http.js";
import { RequestFailedError, createHttp } from "./http.js";
import { RULES } from "./rules/index.js";

export type ConformanceOptions = {
  /** The URL the collections are under: `http://127.0.0.1:8787/api` serves `/api/<collection>`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** A collection the server serves; by default a new one, `conformance_<random>`, that nothing else writes to. */
  collection?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** How long one request may take. Default 30 s. */
  timeoutMs?: number;
  /** Told of each result as soon as its rule ended. */
  onResult?: (result: ConformanceResult) => void;
};

export type ConformanceResult = {
  group: string;
  rule: string;
  /** Skipped rules pass: they did not apply. */
  pass: boolean;
  /** The rule did not apply: an optional part of the protocol the server does not implement, or no --token. */
  skipped?: boolean;
  /** Why it failed, or a note on a pass (which fallback status, what was not checked). */
  message?: string;
  /** Failures only: the requests and replies that showed it, the failing one last. */
  exchanges?: Exchange[];
};

/** The run could not start: a bad base URL or collection, an unreachable server, a token missing or refused. */
export class ConformanceSetupError extends Error {
  override readonly name = "ConformanceSetupError";
}

const COLLECTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Exchanges a rule keeps while it runs, and how many of them a failure shows. */
const KEPT_EXCHANGES = 16;
const SHOWN_EXCHANGES = 4;
const SHOWN_MALFORMED_ERRORS = 5;

const FEATURE_NAMES: Record<Feature, string> = { batch: "_batch", patch: "PATCH", changes: "the change feed" };

/**
 * Runs every rule of the sync protocol (docs/protocol.md) against the server at `options.baseUrl`, one at a
 * time, and returns one result per rule, in order. Each rule writes ids of its own (a random prefix per
 * run), so a rule never depends on another's data.
 *
 * @throws ConformanceSetupError when the run cannot start: bad options, the server unreachable, a token
 *   missing or refused, or no collection at the URL.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceResult[]> {
  const settings = settingsOf(options);
  const features: Features = { batch: true, patch: true, changes: true };
  const errors: ErrorJournal = { count: 0, malformedCount: 0, malformed: [] };
  let log: Exchange[] = [];
  const http = createHttp({
    fetch: options.fetch ?? globalThis.fetch,
    ...(settings.token !== undefined && { token: settings.token }),
    timeoutMs: options.timeoutMs ?? 30_000,
    onExchange(exchange, reply) {
      log.push(exchange);
      if (log.length > KEPT_EXCHANGES) log.shift();
      if (!reply || (reply.status >= 200 && reply.status < 300)) return;
      errors.count++;
      if (isErrorBody(reply.json)) return;
      errors.malformedCount++;
      if (errors.malformed.length < SHOWN_MALFORMED_ERRORS) errors.malformed.push(exchange);
    },
  });
  await reach(http, settings);
  Object.assign(errors, { count: 0, malformedCount: 0, malformed: [] });

  const results: ConformanceResult[] = [];
  for (const [index, rule] of RULES.entries()) {
    log = [];
    const own = `${settings.prefix}-${index + 1}-`;
    let keys = 0;
    const context: RuleContext = { settings, features, errors, http, id: (name) => `${own}${name}`, key: () => `${own}k${++keys}` };
    const result = await runRule(rule, context, () => log);
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

async function runRule(rule: Rule, context: RuleContext, log: () => Exchange[]): Promise<ConformanceResult> {
  const { group } = rule;
  const name = rule.rule;
  if (rule.needs && !context.features[rule.needs]) {
    return { group, rule: name, pass: true, skipped: true, message: `not checked: the server does not implement ${FEATURE_NAMES[rule.needs]}` };
  }
  try {
    const note = await rule.run(context);
    return { group, rule: name, pass: true, ...(typeof note === "string" && { message: note }) };
  } catch (error) {
    if (error instanceof RuleSkipped) return { group, rule: name, pass: true, skipped: true, message: `not checked: ${error.message}` };
    if (error instanceof RuleFailure) return { group, rule: name, pass: false, message: error.message, exchanges: evidence(log(), error.exchanges) };
    if (error instanceof RequestFailedError) return { group, rule: name, pass: false, message: error.message, exchanges: evidence(log(), [error.exchange]) };
    const message = error instanceof Error ? `the kit failed on this rule (a bug of the kit): ${error.stack ?? error.message}` : String(error);
    return { group, rule: name, pass: false, message, exchanges: evidence(log(), []) };
  }
}

/** The exchanges leading up to the failing one (the rule's last ones when none is named). */
function evidence(log: Exchange[], named: Exchange[]): Exchange[] {
  const last = named.at(-1);
  const index = last === undefined ? log.length - 1 : log.lastIndexOf(last);
  if (last !== undefined && index === -1) return named;
  return log.slice(Math.max(0, index + 1 - SHOWN_EXCHANGES), index + 1);
}

function settingsOf(options: ConformanceOptions): RunSettings {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new ConformanceSetupError(`the base URL ${JSON.stringify(options.baseUrl)} is not a URL (as http://127.0.0.1:8787/api)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConformanceSetupError(`the base URL must be http or https, not ${url.protocol}`);
  if (url.search !== "" || url.hash !== "") throw new ConformanceSetupError("the base URL must have no query or fragment: the collections are under its path");
  const random = randomBytes(4).toString("hex");
  const collection = options.collection ?? `conformance_${random}`;
  if (!COLLECTION_NAME.test(collection)) throw new ConformanceSetupError(`collection names match [A-Za-z0-9_-]{1,64}, not ${JSON.stringify(collection)}`);
  const baseUrl = url.href.replace(/\/+$/, "");
  return {
    baseUrl,
    collection,
    endpoint: `${baseUrl}/${collection}`,
    freshCollection: options.collection === undefined,
    token: options.token,
    prefix: `k${random}`,
  };
}

/** The first request: whether there is a server, it takes the token, and serves the collection. */
async function reach(http: Http, settings: RunSettings): Promise<void> {
  let status: number;
  try {
    status = (await http("GET", settings.endpoint)).status;
  } catch (error) {
    const why = error instanceof RequestFailedError ? (error.exchange.error ?? error.message) : String(error);
    throw new ConformanceSetupError(`cannot reach the server: GET ${settings.endpoint} failed: ${why}`);
  }
  if (status === 401 || status === 403) {
    throw new ConformanceSetupError(
      settings.token === undefined
        ? `GET ${settings.endpoint} answered ${status}: the server needs a token; run with --token T`
        : `GET ${settings.endpoint} answered ${status}: the server refused the token`,
    );
  }
  if (status === 404) {
    throw new ConformanceSetupError(
      `GET ${settings.endpoint} answered 404: is ${settings.baseUrl} the URL the collections are under (as http://127.0.0.1:8787/api)? A server that serves only fixed collections needs --collection NAME`,
    );
  }
}
