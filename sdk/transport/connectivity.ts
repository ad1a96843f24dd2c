import { backoffDelay, type BackoffOptions } from "../sync/backoff.js";
import { unref } from "../shared/environment.js";

export interface ConnectivityDeps {
  /** `navigator.onLine` where it exists. */
  browserSaysOnline(): boolean;
  /**
   * Asks the server; resolves whether any HTTP reply came (false also when `superseded` aborts: a newer
   * probe took over). Rejects only when the client aborts its requests (closing, forced offline).
   */
  ping(superseded: AbortSignal): Promise<boolean>;
  backoff: BackoffOptions;
  /** False while forced offline or closed: no probe then. */
  mayProbe(): boolean;
  onChange(online: boolean): void;
}

/**
 * Whether the server is believed reachable. `navigator.onLine === false` is believed at once; `true` only
 * means "worth a try", so coming back needs a ping that answers. While unreachable, probes run on the
 * backoff schedule (one at a time) until one answers; writes never trigger probes of their own.
 *
 * Failure modes: none thrown; a probe that cannot run (closing, forced offline) leaves the state as is.
 */
export class Connectivity {
  readonly #deps: ConnectivityDeps;
  #online: boolean;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #probing: Promise<void> | null = null;
  /** Only the newest probe's answer counts: an older one may still be hanging when a fresh one starts. */
  #generation = 0;
  /** Ends the ping of the probe under way when a fresh one replaces it, instead of leaving it open. */
  #current: AbortController | undefined;
  /** When the last probe started, and when the next one is due (null: none scheduled), for `status.blocked`. */
  lastProbeAt: number | null = null;
  nextProbeAt: number | null = null;

  constructor(deps: ConnectivityDeps) {
    this.#deps = deps;
    this.#online = deps.browserSaysOnline();
  }

  get online(): boolean {
    return this.#online;
  }

  set(online: boolean): void {
    if (this.#online === online) return;
    this.#online = online;
    this.#deps.onChange(online);
    if (!online) this.#schedule();
  }

  /**
   * Checks now, joining a check under way; `fresh` (the browser says the network is back) starts a new
   * one instead, as the one under way may be a ping that hangs until its timeout.
   */
  probe(fresh = false): Promise<void> {
    if (fresh) {
      this.#failures = 0;
      this.#probing = null;
      this.#current?.abort();
      this.stop();
    }
    if (!this.#probing) {
      const run: Promise<void> = this.#run().finally(() => {
        if (this.#probing === run) this.#probing = null;
      });
      this.#probing = run;
    }
    return this.#probing;
  }

  /** Cancels a scheduled probe (forced offline, closing). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.nextProbeAt = null;
  }

  /** Waits for a probe under way, if any. */
  settled(): Promise<void> {
    return this.#probing ?? Promise.resolve();
  }

  #schedule(): void {
    if (!this.#deps.mayProbe() || this.#timer !== undefined) return;
    const delay = backoffDelay(this.#failures + 1, this.#deps.backoff);
    this.nextProbeAt = Date.now() + delay;
    this.#timer = setTimeout(() => {
      this.stop();
      void this.probe();
    }, delay);
    unref(this.#timer);
  }

  async #run(): Promise<void> {
    const generation = ++this.#generation;
    if (!this.#deps.mayProbe()) return;
    if (!this.#deps.browserSaysOnline()) {
      this.set(false);
      return; // the browser's `online` event probes again
    }
    let reachable: boolean;
    this.lastProbeAt = Date.now();
    try {
      this.#current = new AbortController();
      reachable = await this.#deps.ping(this.#current.signal);
    } catch {
      // Aborted: closing, or forced offline. Forced offline may already be lifted (off and on in one
      // task, which joined this probe): then another probe is due, or nothing would ever probe again.
      if (this.#deps.mayProbe() && generation === this.#generation) this.#schedule();
      return;
    }
    // Replaced by a fresh probe: whoever awaits this one gets the fresh one's answer, not a stale state.
    if (generation !== this.#generation) return this.#probing ?? undefined;
    if (!this.#deps.mayProbe()) return;
    if (reachable) {
      this.#failures = 0;
      this.set(true);
    } else {
      this.#failures++;
      this.set(false);
      this.#schedule();
    }
  }
}
