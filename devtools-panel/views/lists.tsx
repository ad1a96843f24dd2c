import { text, type ViewProps } from "./common";

const QUEUE_ROWS = 50;

export function QueueView({ client }: ViewProps) {
  const ops = [...client.queue.values()].slice(0, QUEUE_ROWS);
  return (
    <ul class="rows" data-testid="queue">
      {ops.map((op) => (
        <li key={text(op["seq"])}>
          {text(op["type"])} {text(op["itemId"])} <span class="muted">· attempts {text(op["attempts"])}</span>
        </li>
      ))}
    </ul>
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

export function TimelineView({ client }: ViewProps) {
  return (
    <ol class="rows" data-testid="timeline">
      {client.events.slice(-100).map((event, index) => (
        <li key={index}>
          <span class="muted">{typeof event["at"] === "number" ? new Date(event["at"]).toLocaleTimeString() : ""}</span> {text(event["type"])}: {text(event["summary"])}
        </li>
      ))}
    </ol>
  );
}
