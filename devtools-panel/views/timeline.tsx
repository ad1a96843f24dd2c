import { useState } from "preact/hooks";
import { isAfter, markOf } from "../event-order";
import { detailFor } from "../request-detail";
import { clock, text, useToggleSet, type ViewProps } from "./common";

const EVENT_TYPES = ["write", "send", "reply", "retry", "deadletter", "conflict", "resolved", "pull", "status", "skipped", "probe", "refused", "error", "control"] as const;

/** The client's event log, newest first, filtered by type and text; it can be paused and cleared. */
export function TimelineView({ client, clearTimeline }: ViewProps) {
  const [hidden, toggle] = useToggleSet();
  const [search, setSearch] = useState("");
  /** The event whose requests are shown, by its place in the log (at and seq). */
  const [open, setOpen] = useState<string | null>(null);
  /** While paused, the events as they were when paused: the list holds still under a stream of new ones. */
  const [frozen, setFrozen] = useState<Record<string, unknown>[] | null>(null);
  const shown = frozen ?? client.events;
  const waiting = frozen ? newerThan(frozen, client.events) : 0;
  const needle = search.trim().toLowerCase();
  const position = new Map(shown.map((event, index) => [event, index]));
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
          .map((event, index) => {
            const key = `${text(event["at"])}:${text(event["seq"])}`;
            const detail = detailFor(shown, position.get(event)!);
            const row = (
              <>
                <span class="muted">{clock(event["at"])}</span> <span class={`event event-${text(event["type"])}${event["level"] === "error" || event["level"] === "warn" ? ` level-${event["level"]}` : ""}`}>{text(event["type"])}</span>: {text(event["summary"])}
              </>
            );
            return (
              <li key={events.length - index}>
                {detail ? (
                  <button class="link event-row" data-testid="timeline-request" aria-expanded={open === key} onClick={() => setOpen(open === key ? null : key)}>
                    {row}
                  </button>
                ) : (
                  row
                )}
                {detail && open === key && <RequestView detail={detail} />}
              </li>
            );
          })}
      </ol>
    </div>
  );
}

const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter((entry): entry is Record<string, unknown> => typeof entry === "object" && entry !== null) : []);

/** A push's requests as a Network panel shows them: each exchange, then the batch's operations and their outcome. */
function RequestView({ detail }: { detail: Record<string, unknown> }) {
  const ops = list(detail["ops"]);
  const more = Number(detail["opsTotal"]) - ops.length;
  return (
    <div class="request-detail" data-testid="request-detail">
      {list(detail["requests"]).map((request, index) => (
        <div key={index}>
          <div>
            <b>{text(request["method"])}</b> {text(request["url"])} → <b>{text(request["status"])}</b> in {text(request["ms"])} ms
          </div>
          {request["retryAfter"] !== undefined && <div class="muted">Retry-After: {text(request["retryAfter"])}</div>}
          {request["replayed"] === true && <div class="muted">Idempotent-Replayed: true</div>}
          {typeof request["body"] === "string" && <pre>{text(request["body"].slice(0, 2000))}</pre>}
        </div>
      ))}
      <table>
        <tbody>
          {ops.map((op, index) => (
            <tr key={index}>
              <td>{text(op["type"])}</td>
              <td>{text(op["itemId"])}</td>
              <td>
                {text(op["outcome"])}
                {op["status"] !== undefined && ` (${text(op["status"])})`}
              </td>
              <td class="muted">{text(op["opId"])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {more > 0 && <p class="muted">and {more} more operations</p>}
    </div>
  );
}

/** How many of `current` came after the last of `frozen` (by mark: a re-sent state brings new objects for the same events). */
function newerThan(frozen: Record<string, unknown>[], current: Record<string, unknown>[]): number {
  const last = frozen.at(-1);
  return last ? current.filter((event) => isAfter(event, markOf(last))).length : current.length;
}
