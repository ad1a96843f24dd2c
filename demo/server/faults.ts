/** Opt-in fault injection for /api requests: off unless a FaultConfig is set. */

export const FAULT_KINDS = ["status", "delay", "drop-before", "drop-after"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultConfig = {
  /** Probability, 0..1, that a request gets a fault. */
  rate: number;
  kinds: FaultKind[];
  /** 429 or 5xx; default 503. */
  status?: number;
  /** Sent as Retry-After with a 429 or 503. */
  retryAfterSec?: number;
  /** Default 2000. */
  delayMs?: number;
  /** Makes the choices reproducible. */
  seed?: number;
};

export type FaultDecision =
  | { kind: "none" }
  | { kind: "status"; status: number; retryAfterSec?: number }
  | { kind: "delay"; delayMs: number }
  | { kind: "drop-before" }
  | { kind: "drop-after" };

export const DEFAULT_FAULT_STATUS = 503;
export const DEFAULT_FAULT_DELAY_MS = 2000;
const MAX_FAULT_DELAY_MS = 60_000;

export function decideFault(config: FaultConfig | null, random: () => number): FaultDecision {
  if (!config || random() >= config.rate) return { kind: "none" };
  const kind = config.kinds[Math.floor(random() * config.kinds.length)];
  switch (kind) {
    case "status": {
      const status = config.status ?? DEFAULT_FAULT_STATUS;
      const retryAfter = (status === 429 || status === 503) && config.retryAfterSec !== undefined;
      return retryAfter ? { kind, status, retryAfterSec: config.retryAfterSec } : { kind, status };
    }
    case "delay":
      return { kind, delayMs: config.delayMs ?? DEFAULT_FAULT_DELAY_MS };
    case "drop-before":
    case "drop-after":
      return { kind };
    default:
      return { kind: "none" };
  }
}

/** A small seedable PRNG (mulberry32) returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultInjector = {
  get(): FaultConfig | null;
  set(config: FaultConfig | null): void;
  decide(): FaultDecision;
  injected(): Record<FaultKind, number>;
};

export function createFaultInjector(initial: FaultConfig | null): FaultInjector {
  let config = initial;
  let random = randomFor(config);
  const injected: Record<FaultKind, number> = { status: 0, delay: 0, "drop-before": 0, "drop-after": 0 };
  return {
    get: () => config,
    set(next) {
      config = next;
      random = randomFor(next);
    },
    decide() {
      const decision = decideFault(config, random);
      if (decision.kind !== "none") injected[decision.kind] += 1;
      return decision;
    },
    injected: () => ({ ...injected }),
  };
}

function randomFor(config: FaultConfig | null): () => number {
  return config?.seed === undefined ? Math.random : mulberry32(config.seed);
}

/** Validates untrusted input (admin API, CLI) into a FaultConfig; null turns faults off. */
export function parseFaultConfig(input: unknown): { config: FaultConfig | null } | { error: string } {
  if (input === null) return { config: null };
  if (typeof input !== "object" || Array.isArray(input)) return { error: "faults must be an object or null" };
  const fields: Record<string, unknown> = { ...input };
  const allowed = ["rate", "kinds", "status", "retryAfterSec", "delayMs", "seed"];
  const unknown = Object.keys(fields).find((key) => !allowed.includes(key));
  if (unknown !== undefined) return { error: `unknown fault option "${unknown}"` };

  const { rate, kinds, status, retryAfterSec, delayMs, seed } = fields;
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) return { error: "rate must be a number from 0 to 1" };
  if (!Array.isArray(kinds) || kinds.length === 0 || !kinds.every(isFaultKind)) {
    return { error: `kinds must be a non-empty list of ${FAULT_KINDS.join(", ")}` };
  }
  if (status !== undefined && !(isInteger(status) && (status === 429 || (status >= 500 && status <= 599)))) {
    return { error: "status must be 429 or a 5xx status" };
  }
  if (retryAfterSec !== undefined && !(isInteger(retryAfterSec) && retryAfterSec >= 0)) {
    return { error: "retryAfterSec must be a whole number of seconds" };
  }
  if (delayMs !== undefined && !(isInteger(delayMs) && delayMs >= 0 && delayMs <= MAX_FAULT_DELAY_MS)) {
    return { error: `delayMs must be a whole number from 0 to ${MAX_FAULT_DELAY_MS}` };
  }
  if (seed !== undefined && !isInteger(seed)) return { error: "seed must be an integer" };
  return {
    config: {
      rate,
      kinds,
      ...(status !== undefined && { status }),
      ...(retryAfterSec !== undefined && { retryAfterSec }),
      ...(delayMs !== undefined && { delayMs }),
      ...(seed !== undefined && { seed }),
    },
  };
}

function isFaultKind(value: unknown): value is FaultKind {
  return FAULT_KINDS.some((kind) => kind === value);
}

function isInteger(value: unknown): value is number {
  return Number.isInteger(value);
}
