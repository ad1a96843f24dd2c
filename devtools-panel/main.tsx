import { render } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Command } from "../sdk/bridge/protocol";
import { PanelConnection, type ClientView, type ConnectionState } from "./connection";

/** The inspected tab: DevTools knows it; the panel opened as a plain tab (tests) reads `?tabId=`. */
function inspectedTabId(): number {
  const devtools = (globalThis as { chrome?: { devtools?: { inspectedWindow?: { tabId?: number } } } }).chrome?.devtools;
  return devtools?.inspectedWindow?.tabId ?? Number(new URLSearchParams(location.search).get("tabId"));
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  connected: "Connected",
  "no-client": "No SyncLens client on this page",
  reconnecting: "Reconnecting…",
  mismatch: "This page's SDK speaks another protocol version",
};

function Panel({ connection }: { connection: PanelConnection }) {
  const [state, setState] = useState(connection.state);
  useEffect(() => {
    const unsubscribe = connection.subscribe(() => setState(connection.state));
    setState(connection.state); // anything that arrived between the first render and this subscription
    return unsubscribe;
  }, [connection]);
  return (
    <main>
      <header>
        <strong>SyncLens</strong>{" "}
        <span data-testid="connection" data-state={state.connection}>
          {CONNECTION_TEXT[state.connection]}
        </span>
        {state.sdkVersion && <span> · SDK {state.sdkVersion}</span>}
      </header>
      {[...state.clients.values()].map((client) => (
        <ClientSection key={client.clientId} client={client} run={(command) => connection.command(client.clientId, command)} />
      ))}
    </main>
  );
}

function ClientSection({ client, run }: { client: ClientView; run: (command: Command) => Promise<unknown> }) {
  const [lastReply, setLastReply] = useState("");
  const act = (command: Command) =>
    run(command).then(
      () => setLastReply(`${command.name}: done`),
      (error: Error) => setLastReply(`${command.name}: ${error.message}`),
    );
  const status = client.status ?? {};
  const queue = useMemo(() => [...client.queue.values()].slice(0, 50), [client.queue, client.queue.size, status["pending"]]);
  return (
    <section data-testid="client" data-name={client.name}>
      <h2>{client.name}</h2>
      <p data-testid="status">
        state <b data-testid="state">{String(status["state"] ?? "?")}</b> · pending <b data-testid="pending">{String(status["pending"] ?? "?")}</b> · dead
        letters <b data-testid="dead">{String(status["deadLetters"] ?? "?")}</b> · conflicts <b>{String(status["conflicts"] ?? "?")}</b> · online{" "}
        {String(status["online"] ?? "?")} · forced offline <b data-testid="forced">{String(status["forcedOffline"] ?? "?")}</b>
      </p>
      <p>
        <button data-testid="offline" onClick={() => act({ name: "setOffline", offline: status["forcedOffline"] !== true })}>
          {status["forcedOffline"] === true ? "Go online" : "Force offline"}
        </button>{" "}
        <button data-testid="sync" onClick={() => act({ name: "sync" })}>Sync now</button>{" "}
        <button data-testid="pause" onClick={() => act({ name: status["paused"] === true ? "resume" : "pause" })}>{status["paused"] === true ? "Resume" : "Pause"}</button>{" "}
        <button data-testid="retry-all" onClick={() => act({ name: "retryAllDeadLetters" })}>Retry all dead letters</button>{" "}
        <button data-testid="export" onClick={() => act({ name: "exportSnapshot" })}>Export snapshot</button>{" "}
        <span data-testid="reply">{lastReply}</span>
      </p>
      <h3>Queue</h3>
      <ul data-testid="queue">
        {queue.map((op) => (
          <li key={String(op["seq"])}>
            {String(op["type"])} {String(op["itemId"])} · attempts {String(op["attempts"])}
          </li>
        ))}
      </ul>
      <h3>Dead letters</h3>
      <ul data-testid="dead-letters">
        {client.deadLetters.map((letter) => (
          <li key={String(letter["opId"])}>
            {String(letter["itemId"])}: {String(letter["reason"])}{" "}
            <button data-testid="retry" onClick={() => act({ name: "retryDeadLetter", opId: String(letter["opId"]) })}>Retry</button>{" "}
            <button data-testid="discard" onClick={() => act({ name: "discardDeadLetter", opId: String(letter["opId"]) })}>Discard</button>
          </li>
        ))}
      </ul>
      <h3>Conflicts</h3>
      <ul data-testid="conflicts">
        {client.conflicts.map((conflict) => (
          <li key={String(conflict["id"])}>
            {String(conflict["id"])}: local {JSON.stringify(conflict["local"])} · server {JSON.stringify(conflict["server"])}{" "}
            <button data-testid="keep-local" onClick={() => act({ name: "resolveConflict", id: String(conflict["id"]), resolution: "local" })}>Keep local</button>{" "}
            <button data-testid="take-server" onClick={() => act({ name: "resolveConflict", id: String(conflict["id"]), resolution: "server" })}>Take server</button>
          </li>
        ))}
      </ul>
      <h3>Timeline</h3>
      <ol data-testid="timeline">
        {client.events.slice(-20).map((event, index) => (
          <li key={index}>
            {String(event["type"])}: {String(event["summary"])}
          </li>
        ))}
      </ol>
    </section>
  );
}

const connection = new PanelConnection(inspectedTabId());
render(<Panel connection={connection} />, document.getElementById("app")!);
