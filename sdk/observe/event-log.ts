import type { Exchange } from "../transport/transport.js";

/**
 * A push's requests, for the timeline's `reply` entries (as a browser's Network panel shows
 * them): the HTTP exchanges (at most 10) and the batch's operations (at most 50 of `opsTotal`) with their outcome.
 */
export interface RequestDetail {
  requests: Exchange[];
  ops: { opId: string; itemId: string; type: string; outcome: string; status?: number }[];
  opsTotal: number;
}

/** One entry of the client's timeline: what happened, when, about which item. */
export interface SyncLogEvent {
  /** Counts up from 1 per client (this page's): orders events of the same millisecond. */
  seq: number;
  at: number;
  type:
    | "write" // a local save or delete
    | "send" // a batch or per-item requests left
    | "reply" // ... and what came back, per operation
    | "retry"
    | "deadletter"
    | "conflict"
    | "resolved"
    | "pull" // a page of the change feed was applied
    | "status" // the state changed, with why
    | "skipped" // a drain could not run or stopped early, and why
    | "probe" // a connectivity probe and its answer
    | "refused" // a local write refused (invalid, storage full)
    | "error" // storage, the headers function, the app's item store, a conflict strategy failed
    | "control"; // setOffline, pause, resume: by the app or the panel
  /** Short, for a timeline row: `save a1`, `batch of 50`, `a1 409`, `offline -> idle`. */
  summary: string;
  itemId?: string;
  opId?: string;
  /** How it went, where the type alone does not say: a 4xx or 5xx is an `error`, a retry a `warn`. */
  level?: "error" | "warn";
  /** The push's requests, on `reply` entries (its `send` and `retry` entries are next to it). */
  detail?: RequestDetail;
}

/** The last `capacity` events, oldest first. O(1) per record; nothing else is kept. */
export class EventLog {
  readonly #entries: SyncLogEvent[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  record(event: SyncLogEvent): void {
    if (this.capacity === 0) return;
    if (this.#entries.length < this.capacity) this.#entries.push(event);
    else this.#entries[this.#next] = event;
    this.#next = (this.#next + 1) % this.capacity;
  }

  list(): SyncLogEvent[] {
    return this.#entries.length < this.capacity ? [...this.#entries] : [...this.#entries.slice(this.#next), ...this.#entries.slice(0, this.#next)];
  }
}
