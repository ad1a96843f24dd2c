import { useState } from "preact/hooks";
import { clock, text, useToggleSet, type ViewProps } from "./common";

const EVENT_TYPES = ["write", "send", "reply", "retry", "deadletter", "conflict", "resolved", "pull", "status"] as const;

/** The client's event log, newest first, filtered by type and text. */
export function TimelineView({ client }: ViewProps) {
  const [hidden, toggle] = useToggleSet();
  const [search, setSearch] = useState("");
  const needle = search.trim().toLowerCase();
  const events = client.events.filter((event) => !hidden.has(text(event["type"])) && (!needle || text(event["summary"]).toLowerCase().includes(needle)));
  return (
    <div>
      <div class="bar">
        {EVENT_TYPES.map((type) => (
          <label key={type}>
            <input type="checkbox" data-testid={`timeline-${type}`} checked={!hidden.has(type)} onChange={() => toggle(type)} /> {type}
          </label>
        ))}
        <input data-testid="timeline-search" type="search" placeholder="Search" value={search} onInput={(event) => setSearch((event.target as HTMLInputElement).value)} />
      </div>
      <p class="muted" data-testid="timeline-count">
        {events.length} of the last {client.events.length} events, newest first
      </p>
      <ol class="rows" data-testid="timeline">
        {events
          .slice()
          .reverse()
          .map((event, index) => (
            <li key={events.length - index}>
              <span class="muted">{clock(event["at"])}</span> <span class={`event event-${text(event["type"])}`}>{text(event["type"])}</span>: {text(event["summary"])}
            </li>
          ))}
      </ol>
    </div>
  );
}
