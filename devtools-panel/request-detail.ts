/**
 * Which push's requests a timeline entry stands for: a `reply` carries them; its `retry` entries follow
 * it and its `send` comes before it, so they borrow the nearest reply's. Pure; the Timeline view shows it.
 */
type Event = Record<string, unknown>;

export function detailFor(events: readonly Event[], index: number): Event | undefined {
  const event = events[index];
  const type = event?.["type"];
  const own = asDetail(event?.["detail"]);
  if (own || (type !== "send" && type !== "retry")) return own;
  const step = type === "send" ? 1 : -1;
  for (let i = index + step; i >= 0 && i < events.length; i += step) {
    const other = events[i]!;
    if (other["type"] === "reply") return asDetail(other["detail"]);
    // Another send (the next batch) or a write: past this push's reply.
    if (other["type"] === "send" || (type === "retry" && other["type"] !== "retry")) return undefined;
  }
  return undefined;
}

function asDetail(value: unknown): Event | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Event) : undefined;
}
