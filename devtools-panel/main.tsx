import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { compatibility, PROTOCOL_VERSION, type Command } from "../sdk/bridge/protocol";
import { clientLabels } from "./client-labels";
import { PanelConnection, type ClientView, type ConnectionState } from "./connection";
import { downloadSnapshot, readSnapshotFile } from "./snapshot-file";
import "./panel.css";
import { clock, text, total, visible, type ViewProps } from "./views/common";
import { ConflictsView } from "./views/conflicts";
import { DeadLettersView } from "./views/dead-letters";
import { Overview } from "./views/overview";
import { QueueView } from "./views/queue";
import { TimelineView } from "./views/timeline";

type DevtoolsGlobal = { chrome?: { devtools?: { inspectedWindow?: { tabId?: number }; panels?: { themeName?: string } } } };

/** The inspected tab: DevTools knows it; the panel opened as a plain tab (tests) reads `?tabId=`. */
function inspectedTabId(): number {
  return (globalThis as DevtoolsGlobal).chrome?.devtools?.inspectedWindow?.tabId ?? Number(new URLSearchParams(location.search).get("tabId"));
}

/** DevTools' own theme; as a plain tab, the system's. `?theme=` forces one (screenshots). */
function isDark(): boolean {
  const forced = new URLSearchParams(location.search).get("theme");
  if (forced) return forced === "dark";
  const themeName = (globalThis as DevtoolsGlobal).chrome?.devtools?.panels?.themeName;
  return themeName ? themeName === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  "no-client": "No SyncLens client on this page",
  reconnecting: "Reconnecting…",
  mismatch: "This page's SDK speaks another protocol version",
};

/** What to do about a protocol mismatch depends on which side is behind. */
function mismatchAdvice(pageProtocol: number | null): string {
  if (pageProtocol === null) return "";
  return compatibility(pageProtocol) === "newer-sdk"
    ? ` (${pageProtocol}; this panel speaks ${PROTOCOL_VERSION}): update the SyncLens extension`
    : ` (${pageProtocol}; this panel speaks ${PROTOCOL_VERSION}): update the app's synclens package`;
}

const VIEWS = [
  { id: "overview", label: "Overview", View: Overview },
  { id: "queue", label: "Queue", View: QueueView },
  { id: "dead-letters", label: "Dead letters", View: DeadLettersView },
  { id: "conflicts", label: "Conflicts", View: ConflictsView },
  { id: "timeline", label: "Timeline", View: TimelineView },
] as const;

type ViewId = (typeof VIEWS)[number]["id"];

function Panel({ connection }: { connection: PanelConnection }) {
  const [state, setState] = useState(connection.state);
  const [selected, setSelected] = useState<string | null>(null);
  // Here, not per client: the page reloading (its clients leave and come back) keeps the view the user was on.
  const [view, setView] = useState<ViewId>("overview");
  const [imported, setImported] = useState<{ client: ClientView; exportedAt: string; sdkVersion: string } | null>(null);
  const [importError, setImportError] = useState("");
  useEffect(() => {
    const unsubscribe = connection.subscribe(() => setState(connection.state));
    setState(connection.state); // anything that arrived between the first render and this subscription
    return unsubscribe;
  }, [connection]);
  const clients = [...state.clients.values()];
  const client = clients.find((c) => c.key === selected) ?? clients[0];
  const labels = clientLabels(clients);
  return (
    <main>
      <header>
        <strong>SyncLens</strong>
        <span class="state" data-testid="connection" data-state={state.connection}>
          {CONNECTION_TEXT[state.connection]}
        </span>
        {state.connection === "mismatch" && <span data-testid="mismatch-advice">{mismatchAdvice(state.pageProtocol)}</span>}
        {state.connection === "mismatch" && state.sdkVersion && <span class="muted">SDK {text(state.sdkVersion)}</span>}
        {state.connection === "connected" && client?.sdkVersion && (
          <span class="muted" data-testid="sdk-version">
            SDK {text(client.sdkVersion)}
          </span>
        )}
        {state.dropped > 0 && (
          <span class="warn" data-testid="dropped" title="The page posted more than its SDK ever would; the extension dropped the excess">
            {state.dropped.toLocaleString("en-US")} messages over the rate dropped
          </span>
        )}
        {clients.length > 1 && (
          <label>
            client{" "}
            <select data-testid="client-select" value={client?.key} onChange={(event) => setSelected((event.target as HTMLSelectElement).value)}>
              {clients.map((c) => (
                <option key={c.key} value={c.key}>
                  {text(labels.get(c.key))}
                </option>
              ))}
            </select>
          </label>
        )}
        <label class="file-button">
          Import snapshot…
          <input
            data-testid="import"
            type="file"
            accept=".json,application/json"
            onChange={(event) => {
              const input = event.target as HTMLInputElement;
              const file = input.files?.[0];
              if (file) readSnapshotFile(file).then((snapshot) => (setImported(snapshot), setImportError("")), (error: Error) => setImportError(error.message));
              input.value = ""; // the same file again is a new import
            }}
          />
        </label>
        {importError && <span class="bad" data-testid="import-error">{importError}</span>}
      </header>
      {imported ? (
        <>
          <p class="imported" data-testid="imported">
            Imported snapshot, read only: {visible(imported.client.name)}, exported {visible(imported.exportedAt)} by SDK {visible(imported.sdkVersion)}{" "}
            <button data-testid="close-import" onClick={() => setImported(null)}>Back to the live page</button>
          </p>
          <ClientSection
            key={imported.client.key}
            client={imported.client}
            view={view}
            setView={setView}
            readOnly
            run={() => Promise.reject(new Error("read only"))}
            clearTimeline={() => setImported({ ...imported, client: { ...imported.client, events: [] } })}
          />
        </>
      ) : (
        client && (
          <ClientSection
            key={client.key}
            client={client}
            view={view}
            setView={setView}
            run={(command) => connection.command(client.key, command)}
            clearTimeline={() => connection.clearTimeline(client.key)}
          />
        )
      )}
    </main>
  );
}

type Tone = "" | "busy" | "warn" | "bad";

/** What a command's result says, in a line: a sync's counts and why it stopped, a retry's count. */
function outcome(command: Command, result: unknown): { text: string; tone: Tone } {
  if (command.name === "sync" && typeof result === "object" && result !== null) {
    const r = result as Record<string, unknown>;
    const counts = `pushed ${text(r["pushed"])}, pulled ${text(r["pulled"])}, ${text(r["remaining"])} remaining`;
    return r["skipped"] ? { text: `${counts}; skipped: ${text(r["skipped"])}`, tone: "warn" } : { text: counts, tone: "" };
  }
  if (command.name === "retryAllDeadLetters" && typeof result === "number") return { text: `${result} put back in the queue`, tone: "" };
  if (command.name === "exportSnapshot" && typeof result === "object" && result !== null) {
    const r = result as Record<string, unknown>;
    const cuts = [
      ...(Number(r["queueTruncated"]) > 0 ? [`${text(r["queueTruncated"])} operations left out`] : []),
      ...(r["trimmedForBridge"] === true ? ["long values trimmed"] : []),
    ];
    if (cuts.length > 0) return { text: `saved; ${cuts.join(", ")} (client.exportSnapshot({ queueLimit }) in the page has everything)`, tone: "warn" };
  }
  return { text: "done", tone: "" };
}

interface ClientSectionProps {
  client: ClientView;
  view: ViewId;
  setView: (view: ViewId) => void;
  run: (command: Command) => Promise<unknown>;
  clearTimeline: () => void;
  readOnly?: boolean;
}

function ClientSection({ client, view, setView, run, clearTimeline, readOnly = false }: ClientSectionProps) {
  const [lastReply, setLastReply] = useState<{ text: string; tone: Tone }>({ text: "", tone: "" });
  const act = async (command: Command): Promise<boolean> => {
    if (readOnly) {
      setLastReply({ text: "An imported snapshot is read only", tone: "warn" });
      return false;
    }
    setLastReply({ text: `${command.name}…`, tone: "busy" });
    return run(command).then(
      (result) => {
        if (command.name === "exportSnapshot") downloadSnapshot(result, client.name);
        const { text: said, tone } = outcome(command, result);
        setLastReply({ text: `${clock(Date.now())} ${command.name}: ${said}`, tone });
        return true;
      },
      (error: Error) => {
        setLastReply({ text: `${clock(Date.now())} ${command.name} failed: ${error.message}`, tone: "bad" });
        return false;
      },
    );
  };
  const request = (command: Command) => (readOnly ? Promise.reject(new Error("An imported snapshot is read only")) : run(command));
  const props: ViewProps = { client, act, request, readOnly, clearTimeline };
  const current = VIEWS.find((v) => v.id === view)!;
  const onKey = (event: KeyboardEvent) => {
    const index = VIEWS.findIndex((v) => v.id === view);
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (!step) return;
    const next = (index + step + VIEWS.length) % VIEWS.length;
    setView(VIEWS[next]!.id);
    ((event.currentTarget as HTMLElement).querySelectorAll<HTMLElement>('[role="tab"]')[next])?.focus();
  };
  return (
    <section class="client" data-testid="client" data-name={client.name}>
      <div class="toolbar">
        <div role="tablist" aria-label={`${visible(client.name)} views`} onKeyDown={onKey}>
          {VIEWS.map((v) => (
            <button key={v.id} role="tab" aria-selected={v.id === view} tabIndex={v.id === view ? 0 : -1} data-testid={`tab-${v.id}`} onClick={() => setView(v.id)}>
              {v.label}
              {v.id === "dead-letters" && total(client, "deadLetters") > 0 ? ` (${total(client, "deadLetters")})` : ""}
              {v.id === "conflicts" && total(client, "conflicts") > 0 ? ` (${total(client, "conflicts")})` : ""}
            </button>
          ))}
        </div>
        <p class={`reply ${lastReply.tone}`} role="status" data-testid="reply" data-tone={lastReply.tone}>
          {lastReply.text}
        </p>
      </div>
      <div role="tabpanel" class={readOnly ? "read-only" : ""}>
        <current.View {...props} />
      </div>
    </section>
  );
}

document.documentElement.classList.toggle("theme-dark", isDark());
const connection = new PanelConnection(inspectedTabId());
render(<Panel connection={connection} />, document.getElementById("app")!);
