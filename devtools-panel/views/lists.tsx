import { useState } from "preact/hooks";
import { text, type ViewProps } from "./common";

const QUEUE_ROWS = 200;

type QueueSort = "oldest" | "attempts" | "next";

/** Pending operations with search (item id or type) and sort; the first rows of what matches. */
export function QueueView({ client }: ViewProps) {
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState<QueueSort>("oldest");
  const now = Date.now();
  const needle = search.trim().toLowerCase();
  const ops = [...client.queue.values()]
    .filter((op) => !needle || `${text(op["itemId"])} ${text(op["type"])}`.toLowerCase().includes(needle))
    .sort((a, b) => (sort === "attempts" ? Number(b["attempts"]) - Number(a["attempts"]) : sort === "next" ? Number(a["nextAttemptAt"]) - Number(b["nextAttemptAt"]) : Number(a["seq"]) - Number(b["seq"])));
  return (
    <div>
      <div class="bar">
        <input data-testid="queue-search" type="search" placeholder="Search id or type" value={search} onInput={(event) => setSearch((event.target as HTMLInputElement).value)} />
        <label>
          sort{" "}
          <select data-testid="queue-sort" value={sort} onChange={(event) => setSort((event.target as HTMLSelectElement).value as QueueSort)}>
            <option value="oldest">oldest first</option>
            <option value="attempts">most attempts</option>
            <option value="next">next attempt</option>
          </select>
        </label>
        <span class="muted" data-testid="queue-count">
          {ops.length} of {client.queue.size} shown
        </span>
      </div>
      <ul class="rows" data-testid="queue">
        {ops.slice(0, QUEUE_ROWS).map((op) => {
          const errors = Array.isArray(op["errors"]) ? (op["errors"] as Record<string, unknown>[]) : [];
          const next = Number(op["nextAttemptAt"]) - now;
          return (
            <li key={text(op["seq"])}>
              {text(op["type"])} {text(op["itemId"])}
              <span class="muted">
                · attempts {text(op["attempts"])} · {next > 0 ? `next in ${Math.ceil(next / 1000)} s` : "due"} · age {Math.round((now - Number(op["createdAt"])) / 1000)} s
                {errors.length > 0 ? ` · last error: ${text(errors[errors.length - 1]!["message"])}` : ""}
              </span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function DeadLettersView({ client, act }: ViewProps) {
  return (
    <div>
      <div class="bar">
        <button data-testid="retry-all" onClick={() => act({ name: "retryAllDeadLetters" })}>Retry all dead letters</button>
      </div>
      <ul class="rows" data-testid="dead-letters">
        {client.deadLetters.map((letter) => (
          <li key={text(letter["opId"])}>
            {text(letter["itemId"])}: {text(letter["reason"])}
            <span class="muted" data-testid="letter-attempts">
              attempts {text(letter["attempts"])}
              {Array.isArray(letter["errors"]) && letter["errors"].length > 0 ? ` · ${text((letter["errors"].at(-1) as Record<string, unknown>)["message"])}` : ""}
            </span>
            <button data-testid="retry" onClick={() => act({ name: "retryDeadLetter", opId: text(letter["opId"]) })}>Retry</button>
            <button data-testid="discard" onClick={() => act({ name: "discardDeadLetter", opId: text(letter["opId"]) })}>Discard</button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ConflictsView({ client, act }: ViewProps) {
  return (
    <ul class="rows" data-testid="conflicts">
      {client.conflicts.map((conflict) => (
        <li key={text(conflict["id"])}>
          {text(conflict["id"])}: local {text(conflict["local"])} · server {text(conflict["server"])}
          <button data-testid="keep-local" onClick={() => act({ name: "resolveConflict", id: text(conflict["id"]), resolution: "local" })}>Keep local</button>
          <button data-testid="take-server" onClick={() => act({ name: "resolveConflict", id: text(conflict["id"]), resolution: "server" })}>Take server</button>
        </li>
      ))}
    </ul>
  );
}

const EVENT_TYPES = ["write", "send", "reply", "retry", "deadletter", "conflict", "resolved", "pull", "status"] as const;

/** The client's event log, newest last, filtered by type and text. */
export function TimelineView({ client }: ViewProps) {
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [search, setSearch] = useState("");
  const needle = search.trim().toLowerCase();
  const events = client.events.filter((event) => !hidden.has(text(event["type"])) && (!needle || text(event["summary"]).toLowerCase().includes(needle)));
  const toggle = (type: string) => {
    const next = new Set(hidden);
    if (!next.delete(type)) next.add(type);
    setHidden(next);
  };
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
      <ol class="rows" data-testid="timeline">
        {events.slice(-200).map((event, index) => (
          <li key={index}>
            <span class="muted">{typeof event["at"] === "number" ? new Date(event["at"]).toLocaleTimeString() : ""}</span> {text(event["type"])}: {text(event["summary"])}
          </li>
        ))}
      </ol>
    </div>
  );
}
