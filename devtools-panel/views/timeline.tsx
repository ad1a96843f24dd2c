import { useState } from "preact/hooks";
import { isAfter, markOf } from "../event-order";
import { clock, text, useToggleSet, type ViewProps } from "./common";

const EVENT_TYPES = ["write", "send", "reply", "retry", "deadletter", "conflict", "resolved", "pull", "status", "skipped", "probe", "refused", "control"] as const;

/** The client's event log, newest first, filtered by type and text; it can be paused and cleared. */
export function TimelineView({ client, clearTimeline }: ViewProps) {
  const [hidden, toggle] = useToggleSet();
  const [search, setSearch] = useState("");
  /** While paused, the events as they were when paused: the list holds still under a stream of new ones. */
  const [frozen, setFrozen] = useState<Record<string, unknown>[] | null>(null);
  const shown = frozen ?? client.events;
  const waiting = frozen ? newerThan(frozen, client.events) : 0;
  const needle = search.trim().toLowerCase();
  const events = shown.filter((event) => !hidden.has(text(event["type"])) && (!needle || text(event["summary"]).toLowerCase().includes(needle)));
  return (
    <div>
      <div class="bar">
        {EVENT_TYPES.map((type) => (
          <label key={type}>
            <input type="checkbox" data-testid={`timeline-${type}`} checked={!hidden.has(type)} onChange={() => toggle(type)} /> {type}
          </label>
        ))}
        <input data-testid="timeline-search" type="search" placeholder="Search" value={search} onInput={(event) => setSearch((event.target as HTMLInputElement).value)} />
        <button class="link" data-testid="timeline-pause" aria-pressed={frozen !== null} onClick={() => setFrozen(frozen ? null : client.events)}>
          {frozen ? "Resume" : "Pause"}
        </button>
        <button
          class="link"
          data-testid="timeline-clear"
          onClick={() => {
            clearTimeline();
            setFrozen(frozen && []);
          }}
        >
          Clear
        </button>
      </div>
      <p class="muted" data-testid="timeline-count">
        {events.length} of the last {shown.length} events, newest first
        {frozen && `; paused, ${waiting} new since`}
      </p>
      <ol class="rows" data-testid="timeline">
        {events
          .slice()
          .reverse()
          .map((event, index) => (
            <li key={events.length - index}>
              <span class="muted">{clock(event["at"])}</span> <span class={`event event-${text(event["type"])}${event["level"] === "error" || event["level"] === "warn" ? ` level-${event["level"]}` : ""}`}>{text(event["type"])}</span>: {text(event["summary"])}
            </li>
          ))}
      </ol>
    </div>
  );
}

/** How many of `current` came after the last of `frozen` (by mark: a re-sent state brings new objects for the same events). */
function newerThan(frozen: Record<string, unknown>[], current: Record<string, unknown>[]): number {
  const last = frozen.at(-1);
  return last ? current.filter((event) => isAfter(event, markOf(last))).length : current.length;
}
