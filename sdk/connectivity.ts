import { backoffDelay, type BackoffOptions } from "./backoff";

export interface ConnectivityDeps {
  /** `navigator.onLine` where it exists. */
  browserSaysOnline(): boolean;
  /** Asks the server; resolves whether any HTTP reply came. Rejects only when aborted (the client is closing or forced offline). */
  ping(): Promise<boolean>;
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

  /** Checks now (joining a check under way). */
  probe(): Promise<void> {
    this.#probing ??= this.#run().finally(() => {
      this.#probing = null;
    });
    return this.#probing;
  }

  /** Cancels a scheduled probe (forced offline, closing). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Waits for a probe under way, if any. */
  settled(): Promise<void> {
    return this.#probing ?? Promise.resolve();
  }

  #schedule(): void {
    if (!this.#deps.mayProbe() || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.probe();
    }, backoffDelay(this.#failures + 1, this.#deps.backoff));
  }

  async #run(): Promise<void> {
    if (!this.#deps.mayProbe()) return;
    if (!this.#deps.browserSaysOnline()) {
      this.set(false);
      return; // the browser's `online` event probes again
    }
    let reachable: boolean;
    try {
      reachable = await this.#deps.ping();
    } catch {
      // Aborted: closing, or forced offline. Forced offline may already be lifted (off and on in one
      // task, which joined this probe): then another probe is due, or nothing would ever probe again.
      if (this.#deps.mayProbe()) this.#schedule();
      return;
    }
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
