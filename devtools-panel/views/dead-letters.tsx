import { clock, plain, text, total, useToggleSet, type ViewProps } from "./common";
import { ErrorHistory } from "./error-history";
import { JsonTree } from "./json-tree";

const REASONS: Record<string, string> = {
  rejected: "the server refused it",
  max_retries: "it failed maxRetries times",
  conflict: "a 409 came without the server's record",
};

/** Operations the outbox gave up on: why, what the server answered, every failed attempt; retry or discard. */
export function DeadLettersView({ client, act, request, readOnly }: ViewProps) {
  const [open, toggle] = useToggleSet();
  return (
    <div>
      <div class="bar">
        <button data-testid="retry-all" disabled={client.deadLetters.length === 0} onClick={() => act({ name: "retryAllDeadLetters" })}>
          Retry all dead letters
        </button>
        <span class="muted">Later operations on the same item wait until its dead letter is retried or discarded.</span>
      </div>
      {client.deadLetters.length < total(client, "deadLetters") && (
        <p class="muted" data-testid="letters-shown">
          The first {client.deadLetters.length} of {total(client, "deadLetters")} dead letters; retry or discard some to see more. Retry all puts back all of them.
        </p>
      )}
      {client.deadLetters.length === 0 && <p class="empty">No dead letters: nothing was refused by the server or ran out of retries.</p>}
      <ul class="letters" data-testid="dead-letters">
        {client.deadLetters.map((letter) => {
          const opId = plain(letter["opId"] ?? ""); // as the page sent it: commands name it
          const reply = letter["reply"] as Record<string, unknown> | undefined;
          const errors = Array.isArray(letter["errors"]) ? (letter["errors"] as Record<string, unknown>[]) : [];
          const expanded = open.has(opId);
          return (
            <li key={opId} class="letter" data-testid="dead-letter" data-item={text(letter["itemId"])}>
              <div class="letter-head">
                <button class="link" aria-expanded={expanded} data-testid="letter-toggle" onClick={() => toggle(opId)}>
                  {expanded ? "▾" : "▸"} {text(letter["type"])} {text(letter["itemId"])}
                </button>
                <span class="bad">{REASONS[text(letter["reason"])] ?? text(letter["reason"])}</span>
                {reply && typeof reply["status"] === "number" && <span class="status-code">HTTP {reply["status"]}</span>}
                <span class="muted" data-testid="letter-attempts">
                  attempts {text(letter["attempts"])} · dead since {clock(letter["deadAt"])}
                  {errors.length > 0 ? ` · ${text(errors.at(-1)!["message"])}` : ""}
                </span>
                <span class="actions">
                  <button data-testid="retry" onClick={() => act({ name: "retryDeadLetter", opId })}>Retry</button>
                  <button data-testid="discard" onClick={() => act({ name: "discardDeadLetter", opId })}>Discard</button>
                </span>
              </div>
              {expanded && (
                <div class="letter-body" data-testid="letter-detail">
                  <h4>Server reply</h4>
                  {reply ? (
                    <div data-testid="letter-reply">
                      <p>
                        HTTP <b>{text(reply["status"])}</b>
                      </p>
                      <JsonTree value={reply["body"]} request={readOnly ? undefined : request} open={2} />
                    </div>
                  ) : (
                    <p class="muted">No reply decided it (network errors or timeouts until maxRetries).</p>
                  )}
                  <ErrorHistory errors={errors} />
                  <h4>Operation</h4>
                  <p class="muted">
                    opId {text(opId)} · seq {text(letter["seq"])} · created {clock(letter["createdAt"])}
                  </p>
                  {letter["value"] === undefined ? <p class="muted">A delete carries no payload.</p> : <JsonTree value={letter["value"]} request={readOnly ? undefined : request} open={1} />}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
