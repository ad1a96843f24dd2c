import { useId, useState } from "preact/hooks";
import { ABSENT, diffConflict, mergeFields, parseMergedJson, type ConflictDiff, type FieldDiff, type Side } from "../conflict-diff";
import { text, total, visible, type ViewProps } from "./common";
import "./conflicts.css";

const SIDES: readonly Side[] = ["base", "local", "server"];

const STATE_LABEL: Record<FieldDiff["state"], string> = { same: "", local: "changed here", server: "changed on server", both: "both changed" };

/** Conflicts parked for a person: base, local and server side by side, resolved whole, field by field, or as edited JSON. */
export function ConflictsView({ client, act }: ViewProps) {
  return (
    <div class="conflicts">
      {client.conflicts.length === 0 && (
        <p class="muted" data-testid="conflicts-empty">
          No conflicts. A conflict is an item changed both here and on the server since the last sync. Clients with the <code>manual</code> conflict strategy park them
          here for you to resolve: keep one side, pick field by field, or edit the merged JSON.
        </p>
      )}
      {client.conflicts.length < total(client, "conflicts") && (
        <p class="muted" data-testid="conflicts-shown">
          The first {client.conflicts.length} of {total(client, "conflicts")} conflicts; resolve some to see more.
        </p>
      )}
      <ul class="conflict-list" data-testid="conflicts">
        {client.conflicts.map((conflict) => (
          <ConflictCard key={text(conflict["id"])} conflict={conflict} act={act} />
        ))}
      </ul>
    </div>
  );
}

function ConflictCard({ conflict, act }: { conflict: Record<string, unknown>; act: ViewProps["act"] }) {
  const uid = useId();
  const [choices, setChoices] = useState<Record<string, Side>>({});
  const [editing, setEditing] = useState(false);
  const [json, setJson] = useState("");
  const diff = diffConflict(conflict);
  const merged = mergeFields(conflict, choices);
  // The field merge goes through the same check as hand-edited JSON: no markers, the right id, bounded.
  const mergeCheck = parseMergedJson(JSON.stringify(merged), diff.id);
  const mergeError = diff.blocked ?? (mergeCheck.ok ? null : mergeCheck.error);
  const jsonCheck = parseMergedJson(json, diff.id);
  const serverVersion = conflict["serverVersion"];
  // A merged value names the server copy it was made from: a newer one pulled meanwhile is not overwritten unseen.
  const resolve = (resolution: "local" | "server" | { value: unknown }) =>
    act({ name: "resolveConflict", id: diff.id, resolution: typeof resolution === "object" && typeof serverVersion === "number" ? { ...resolution, serverVersion } : resolution });
  const toggleEditing = () => {
    if (!editing) setJson(JSON.stringify(merged, null, 2));
    setEditing(!editing);
  };
  const detectedAt = conflict["detectedAt"];
  const deletion = deletionNote(diff);
  return (
    <li class="conflict" data-testid="conflict" data-id={diff.id}>
      <div class="conflict-head">
        <h3 class="conflict-id">{visible(diff.id) || "(no id)"}</h3>
        <span class="muted">
          detected {typeof detectedAt === "number" && Number.isFinite(detectedAt) ? new Date(detectedAt).toLocaleString() : "–"} · server version {text(conflict["serverVersion"])}
        </span>
      </div>
      {deletion && (
        <p class="conflict-note" data-testid="conflict-deleted">
          {deletion}
        </p>
      )}
      <div class="conflict-scroll" role="region" aria-label={`Fields of ${visible(diff.id)}`} tabIndex={0}>
        <table class="conflict-table">
          <thead>
            <tr>
              <th scope="col">field</th>
              {SIDES.map((side) => (
                <th scope="col" key={side}>
                  {side}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {diff.rows.map((row) => (
              <FieldRow key={row.field} row={row} diff={diff} name={`${uid}-${row.field}`} choice={Object.hasOwn(choices, row.field) ? choices[row.field]! : row.defaultChoice} onChoose={(side) => setChoices({ ...choices, [row.field]: side })} />
            ))}
          </tbody>
        </table>
      </div>
      <div class="bar">
        <button data-testid="keep-local" onClick={() => resolve("local")}>
          Keep local
        </button>
        <button data-testid="take-server" onClick={() => resolve("server")}>
          Take server
        </button>
        <button data-testid="apply-merge" disabled={mergeError !== null} aria-describedby={mergeError ? `${uid}-merge-error` : undefined} onClick={() => mergeCheck.ok && resolve({ value: mergeCheck.value })}>
          Apply merge
        </button>
        <button data-testid="edit-json" aria-expanded={editing} aria-controls={`${uid}-json`} onClick={toggleEditing}>
          Edit merged JSON
        </button>
      </div>
      {mergeError && (
        <p class="bad" id={`${uid}-merge-error`} data-testid="merge-blocked">
          No field merge: {mergeError}
        </p>
      )}
      {editing && (
        <div class="conflict-json" id={`${uid}-json`}>
          <label for={`${uid}-text`}>
            Merged JSON for {visible(diff.id)} <span class="muted">(null deletes the item)</span>
          </label>
          <textarea
            id={`${uid}-text`}
            data-testid="merged-json"
            rows={10}
            spellcheck={false}
            value={json}
            aria-invalid={!jsonCheck.ok}
            aria-describedby={`${uid}-json-error`}
            onInput={(event) => setJson((event.target as HTMLTextAreaElement).value)}
          />
          <p class="bad" id={`${uid}-json-error`} data-testid="merged-error" aria-live="polite">
            {jsonCheck.ok ? "" : jsonCheck.error}
          </p>
          <button data-testid="apply-json" disabled={!jsonCheck.ok} onClick={() => jsonCheck.ok && resolve({ value: jsonCheck.value })}>
            Send merged JSON
          </button>
        </div>
      )}
    </li>
  );
}

function FieldRow({ row, diff, name, choice, onChoose }: { row: FieldDiff; diff: ConflictDiff; name: string; choice: Side; onChoose: (side: Side) => void }) {
  // The id is not a choice: a resolution always keeps the conflict's id.
  const fixed = row.field === "id";
  return (
    <tr data-testid="conflict-field" data-field={row.field} data-state={row.state}>
      <th scope="row" class="conflict-field" title={visible(row.field)}>
        {visible(row.field)}
        {row.state !== "same" && <span class="conflict-state">{STATE_LABEL[row.state]}</span>}
      </th>
      {SIDES.map((side) => {
        const value = row[side];
        const shown = value === ABSENT ? (diff.deleted[side] ? "deleted" : "absent") : cellText(value);
        const truncated = row.truncated[side];
        return (
          <td key={side} class={cellClass(row, side, !fixed && choice === side)}>
            <label class="conflict-cell" title={truncated ? `${text(value)}\n\n${truncated} was truncated for the panel: choose another side or edit it in the app` : shown}>
              {!fixed && <input type="radio" name={name} value={side} checked={choice === side} disabled={truncated !== undefined} aria-label={`${visible(row.field)}: use ${side}`} onChange={() => onChoose(side)} />}
              <span class={value === ABSENT ? "value muted" : "value"}>{shown}</span>
            </label>
          </td>
        );
      })}
    </tr>
  );
}

/** A value as compact JSON; a "more" trim marker as what it stands for. */
function cellText(value: unknown): string {
  const marker = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  if (marker["$synclens"] !== "more") return text(value);
  if (marker["kind"] === "string") return `${text(marker["preview"])}… (${text(marker["length"])} characters)`;
  return marker["kind"] === "list" ? `[${text(marker["length"])} items…]` : `{${text(marker["size"])} fields…}`;
}

function cellClass(row: FieldDiff, side: Side, chosen: boolean): string {
  const classes = [chosen ? "chosen" : "", row.truncated[side] ? "truncated" : ""];
  if (row.state === "both" && side !== "base") classes.push("conflicting");
  else if (row.state === side) classes.push(`changed-${side}`);
  return classes.filter(Boolean).join(" ");
}

function deletionNote({ deleted }: ConflictDiff): string {
  if (deleted.local && deleted.server) return "Deleted on both sides.";
  if (deleted.local) return "Deleted here, changed on the server. Keep local deletes the item; Take server or a field merge keeps it.";
  if (deleted.server) return "Deleted on the server, changed here. Take server deletes the item; Keep local or a field merge keeps it.";
  if (deleted.base) return "Created on both sides: there is no common base.";
  return "";
}
