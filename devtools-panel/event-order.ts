/**
 * Where a timeline event stands in its client's log: by time, then, within a millisecond, by the page's
 * count (`seq`). Events from an SDK that did not count them compare by time alone.
 */
export interface EventMark {
  at: number;
  seq: number;
}

export function markOf(event: Record<string, unknown>): EventMark {
  return { at: Number(event["at"]), seq: Number(event["seq"]) };
}

/** Whether `event` came after `mark`; in the same millisecond without counts, it did not. */
export function isAfter(event: Record<string, unknown>, mark: EventMark): boolean {
  const { at, seq } = markOf(event);
  return at > mark.at || (at === mark.at && seq > mark.seq);
}

/** Whether `event` came before `mark`; in the same millisecond without counts, it did not. */
export function isBefore(event: Record<string, unknown>, mark: EventMark): boolean {
  const { at, seq } = markOf(event);
  return at < mark.at || (at === mark.at && seq < mark.seq);
}
