import { clock, text } from "./common";

/** An operation's failed attempts, newest first. */
export function ErrorHistory({ errors }: { errors: unknown }) {
  const list = Array.isArray(errors) ? (errors as Record<string, unknown>[]).filter((error) => typeof error === "object" && error !== null) : [];
  return (
    <>
      <h4>Error history</h4>
      {list.length === 0 ? (
        <p class="muted">No failed attempt.</p>
      ) : (
        <ol class="errors" data-testid="error-history" reversed>
          {[...list].reverse().map((error, index) => (
            <li key={index}>
              <span class="muted">{clock(error["at"])}</span> <b>{text(error["code"])}</b>
              {typeof error["status"] === "number" ? ` ${error["status"]}` : ""}: {text(error["message"])}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
