/**
 * A collapsible JSON tree for values from the page. Objects and lists fold (children are rendered only
 * once opened, so a large payload costs nothing until looked at); the bridge's trim markers render as
 * what they stand for, and "more" markers get a button that asks the page for the full value.
 * Everything is rendered as text.
 */
import { createContext } from "preact";
import { useContext, useState } from "preact/hooks";
import type { Command } from "../../sdk/bridge/protocol";
import { unescapeKey } from "../../sdk/bridge/trim";
import { text, visible } from "./common";

type Path = readonly (string | number)[];

interface TreeContext {
  /** Full values fetched for markers, by their path. */
  loaded: Map<string, unknown>;
  load: (path: Path) => void;
  failures: Map<string, string>;
}

const Tree = createContext<TreeContext | null>(null);

export interface JsonTreeProps {
  value: unknown;
  /** Asks the page for what a marker stands for; absent where there is no page (an imported snapshot). */
  request?: ((command: Command) => Promise<unknown>) | undefined;
  /** Levels open at first. */
  open?: number;
  label?: string;
}

export function JsonTree({ value, request, open = 1, label }: JsonTreeProps) {
  const [loaded, setLoaded] = useState<Map<string, unknown>>(() => new Map());
  const [failures, setFailures] = useState<Map<string, string>>(() => new Map());
  const load = (path: Path) => {
    if (!request) return;
    const key = JSON.stringify(path);
    request({ name: "expand", path }).then(
      // The page trims even an expanded value (a string over 100,000 characters): kept without its path,
      // that marker shows as it is instead of offering to load itself again.
      (full) => setLoaded((previous) => new Map(previous).set(key, isMarker(full) && JSON.stringify(full["path"]) === key ? { ...full, path: null } : full)),
      (error: Error) => setFailures((previous) => new Map(previous).set(key, error.message)),
    );
  };
  return (
    <Tree.Provider value={{ loaded, load: request ? load : () => undefined, failures }}>
      <div class="json-tree" data-testid="json-tree">
        <Node value={value} name={label} depth={0} openDepth={open} />
      </div>
    </Tree.Provider>
  );
}

function Node({ value, name, depth, openDepth }: { value: unknown; name?: string | number | undefined; depth: number; openDepth: number }) {
  const tree = useContext(Tree)!;
  const key = name === undefined ? null : <span class="json-key">{typeof name === "number" ? name : visible(unescapeKey(name))}: </span>;
  if (isMarker(value)) {
    const path = Array.isArray(value["path"]) ? (value["path"] as Path) : null;
    const full = path ? tree.loaded.get(JSON.stringify(path)) : undefined;
    if (full !== undefined) return <Node value={full} name={name} depth={depth} openDepth={depth + 1} />;
    const loadButton = path && full === undefined && value["$synclens"] === "more" && (
      <button class="link" data-testid="json-load" onClick={() => tree.load(path)}>
        load all
      </button>
    );
    if (value["kind"] === "list" && Array.isArray(value["items"])) {
      return (
        <div>
          <Branch value={value["items"]} keyLabel={key} depth={depth} openDepth={openDepth} />
          <div class="json-leaf json-children">
            <MarkerText marker={value} /> {loadButton}
          </div>
        </div>
      );
    }
    return (
      <div class="json-leaf">
        {key}
        <MarkerText marker={value} /> {loadButton}
        {path && tree.failures.has(JSON.stringify(path)) && <span class="bad"> {tree.failures.get(JSON.stringify(path))}</span>}
      </div>
    );
  }
  if (typeof value !== "object" || value === null) {
    return (
      <div class="json-leaf">
        {key}
        <Primitive value={value} />
      </div>
    );
  }
  return <Branch value={value as Record<string, unknown>} keyLabel={key} depth={depth} openDepth={openDepth} />;
}

function Branch({ value, keyLabel, depth, openDepth }: { value: Record<string, unknown> | unknown[]; keyLabel: preact.ComponentChildren; depth: number; openDepth: number }) {
  const [open, setOpen] = useState(depth < openDepth);
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((entry, index) => [index, entry]) : Object.entries(value).filter(([name]) => name !== "$synclens:more");
  const more = Array.isArray(value) ? undefined : value["$synclens:more"];
  const summary = Array.isArray(value) ? `[${value.length}]` : `{${entries.length}${isMarker(more) ? `+` : ""}}`;
  return (
    <details open={open} onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}>
      <summary>
        {keyLabel}
        <span class="muted">{summary}</span>
      </summary>
      {open && (
        <div class="json-children">
          {entries.map(([name, entry]) => (
            <Node key={name} value={entry} name={name} depth={depth + 1} openDepth={openDepth} />
          ))}
          {isMarker(more) && <Node value={more} name="…" depth={depth + 1} openDepth={openDepth} />}
        </div>
      )}
    </details>
  );
}

function Primitive({ value }: { value: unknown }) {
  if (typeof value === "string") return <span class="json-string">"{visible(value)}"</span>;
  if (typeof value === "number") return <span class="json-number">{String(value)}</span>;
  if (typeof value === "boolean" || value === null) return <span class="json-literal">{String(value)}</span>;
  return <span class="muted">{text(value)}</span>;
}

/** One line for what a marker stands for. */
function MarkerText({ marker }: { marker: Record<string, unknown> }) {
  const size = (count: unknown, unit: string) => `${typeof count === "number" ? count.toLocaleString("en-US") : "?"} ${unit}`;
  switch (marker["$synclens"]) {
    case "more":
      if (marker["kind"] === "string") return <span class="json-string">"{text(marker["preview"])}…" <span class="muted">({size(marker["length"], "characters")})</span></span>;
      if (marker["kind"] === "list") return <span class="muted">[{size(marker["length"], "items")}, first {Array.isArray(marker["items"]) ? marker["items"].length : 0} shown]</span>;
      return <span class="muted">{`{${size(marker["size"], "entries")}, not sent}`}</span>;
    case "map":
      return <span class="muted">Map({text(marker["size"])}) {text(marker["entries"])}</span>;
    case "set":
      return <span class="muted">Set({text(marker["size"])}) {text(marker["values"])}</span>;
    case "date":
      return <span class="json-literal">Date {marker["iso"] == null ? "Invalid Date" : text(marker["iso"])}</span>;
    case "circular":
      return <span class="muted">[circular: {JSON.stringify(marker["path"])}]</span>;
    case "error":
      return <span class="bad">{text(marker["name"])}: {text(marker["message"])}</span>;
    default:
      return <span class="muted">{text(marker["text"] ?? marker["$synclens"])}</span>;
  }
}

function isMarker(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as Record<string, unknown>)["$synclens"] === "string";
}
