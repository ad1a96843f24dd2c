/**
 * The server's clock minus the client's, estimated from server times known to fall within a request's
 * round trip (a write's `updatedAt`, a reply's `Date` header). `latest-wins` compares edit times on one
 * clock with it. Pure: the caller supplies every time.
 *
 * Failure modes: none; until a first measurement the offset is 0, and an estimate within its own
 * uncertainty is taken as 0 (the clocks agree as far as can be told; a made-up offset would only
 * reorder close edits at random).
 */
export class ClockOffset {
  #offsetMs = 0;
  #uncertaintyMs = Number.POSITIVE_INFINITY;

  get ms(): number {
    return this.#offsetMs;
  }

  /** Refines the estimate from a server time known to fall between `sentAt` and `receivedAt`. */
  note(serverTime: number, sentAt: number, receivedAt: number): void {
    const uncertainty = (receivedAt - sentAt) / 2 + 1;
    if (uncertainty > this.#uncertaintyMs * 4) return; // keep a much better earlier estimate
    const estimate = serverTime - (sentAt + receivedAt) / 2;
    this.#offsetMs = Math.abs(estimate) <= uncertainty ? 0 : estimate;
    this.#uncertaintyMs = uncertainty;
  }

  /** Refines the estimate from a reply's `Date` header, which has whole seconds only. */
  noteDateHeader(date: string | null, sentAt: number, receivedAt: number): void {
    const serverTime = Date.parse(date ?? "");
    // The second a `Date` header names started up to 1 s before the reply was made.
    if (!Number.isNaN(serverTime)) this.note(serverTime + 500, sentAt - 500, receivedAt + 500);
  }
}
