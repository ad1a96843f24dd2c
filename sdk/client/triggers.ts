import { unref } from "../shared/environment.js";
import type { SyncItem } from "../shared/types.js";
import { Connectivity } from "../transport/connectivity.js";
import { MAX_TIMER_MS } from "./options.js";
import { WriteLayer } from "./writes.js";

/**
 * The core client's trigger layer (client.ts lists the others): what starts a drain, per
 * `options.triggers`. Writes (`kick()`: one drain for the writes of a tick), the server reachable again
 * (connectivity), the page visible again, the interval, and a wake-up when what waits is due; and the
 * pagehide flush.
 */
export abstract class TriggerLayer<T extends SyncItem, Context> extends WriteLayer<T, Context> {
  protected readonly connectivity = new Connectivity({
    browserSaysOnline: () => this.environment.browserSaysOnline(),
    ping: async (superseded) => {
      const { pingUrl, pingTimeoutMs } = this.options;
      if (pingUrl === false) return true;
      const reachable = await this.transport.ping(pingUrl, pingTimeoutMs, this.requests, superseded);
      this.trace({ type: "probe", url: pingUrl, reachable });
      return reachable;
    },
    backoff: this.options.backoff,
    mayProbe: () => !this.closed && !this.forcedOffline,
    onChange: (online) => {
      // Back from being unreachable (a real ping answered): what waited goes now, with a pull when onOnline
      // asks (a probe that found the server back has no browser event of its own).
      if (online && this.options.pingUrl !== false) this.probeNow();
      this.emitStatus();
      if (online) this.kick(this.options.triggers.onOnline);
    },
  });
  #unsubscribe: () => void = () => undefined;
  #intervalTimer: ReturnType<typeof setInterval> | undefined;
  #wakeTimer: ReturnType<typeof setTimeout> | undefined;
  #wakeAt = Infinity;
  #kickScheduled = false;

  /** Whether a refresh trigger (online, visible, interval) has work even with nothing to push. A hook: false in the core. */
  protected refreshes(): boolean {
    return false;
  }

  /** Listens to the environment's signals and starts the interval (once the database is open). */
  protected listen(): void {
    const { triggers } = this.options;
    this.#unsubscribe = this.environment.subscribe({
      online: () =>
        void this.connectivity.probe(true).then(() => {
          if (triggers.onOnline) this.kick(true);
        }),
      offline: () => this.connectivity.set(false),
      visible: () => {
        if (triggers.onVisible) this.#refreshAndKick();
        else void this.refreshCounts();
      },
      pagehide: () => {
        if (triggers.flushOnPageHide) this.flushOnPageHide();
      },
    });
    if (triggers.intervalMs > 0) {
      this.#intervalTimer = setInterval(() => this.#refreshAndKick(), triggers.intervalMs);
      unref(this.#intervalTimer);
    }
  }

  /** Closing: no more signals, timers or interval. */
  protected stopListening(): void {
    this.#unsubscribe();
    this.stopTimers();
    clearInterval(this.#intervalTimer);
  }

  /** Schedules a drain on the next tick, so that writes made in the same tick share a batch. */
  protected kick(refresh = false): void {
    // While unreachable, the probe schedule (not every write) decides when to try again.
    const work = this.pending > 0 || (refresh && this.refreshes());
    if (this.#kickScheduled || !work || this.blockedReason()) return;
    this.#kickScheduled = true;
    setTimeout(() => {
      this.#kickScheduled = false;
      if (!this.blockedReason()) void this.drain();
    }, 0);
  }

  /** Wakes the queue when the earliest operation in backoff becomes due. */
  protected wake(at: number): void {
    if (this.closed || at >= this.#wakeAt) return;
    clearTimeout(this.#wakeTimer);
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeAt = Infinity;
      this.#refreshAndKick(); // what is due may be another tab's, not in this client's count
    }, Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now()))); // a longer delay would overflow and fire at once
    unref(this.#wakeTimer);
  }

  /** Other tabs may have drained or written meanwhile: the counters are read again, then a sync may start. */
  #refreshAndKick(): void {
    void this.refreshCounts().then(() => this.kick(true));
  }

  /** The wake-up and the connectivity probe are cancelled (forced offline, closing). */
  protected stopTimers(): void {
    clearTimeout(this.#wakeTimer);
    this.connectivity.stop();
    this.#wakeTimer = undefined;
    this.#wakeAt = Infinity;
  }
}
