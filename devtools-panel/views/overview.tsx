import { text, type ViewProps } from "./common";

/** State and headline numbers of one client. */
export function Overview({ client, act }: ViewProps) {
  const status = client.status ?? {};
  const metrics = client.metrics ?? {};
  const latency = (metrics["latencyMs"] ?? {}) as Record<string, unknown>;
  const ms = (value: unknown) => (typeof value === "number" ? `${Math.round(value)} ms` : "–");
  const sent = Number(metrics["bytesSent"] ?? 0);
  const raw = Number(metrics["bytesBeforeCompression"] ?? 0);
  const cards: [string, string, boolean?][] = [
    ["state", text(status["state"]), status["state"] === "error" || status["state"] === "conflict"],
    ["online", status["forcedOffline"] === true ? "forced offline" : text(status["online"])],
    ["pending", text(status["pending"])],
    ["dead letters", text(status["deadLetters"]), Number(status["deadLetters"]) > 0],
    ["conflicts", text(status["conflicts"]), Number(status["conflicts"]) > 0],
    ["last sync", typeof status["lastSyncAt"] === "number" ? new Date(status["lastSyncAt"]).toLocaleTimeString() : "never"],
    ["success rate", typeof metrics["successRate"] === "number" ? `${Math.round(metrics["successRate"] * 100)}%` : "–"],
    ["latency p50 / p95", `${ms(latency["p50"])} / ${ms(latency["p95"])}`],
    ["bytes sent", `${sent.toLocaleString("en-US")} B`],
    ["gzip saved", raw > 0 ? `${Math.max(0, Math.round((1 - sent / raw) * 100))}% of ${raw.toLocaleString("en-US")} B` : "–"],
  ];
  const error = status["lastError"] as Record<string, unknown> | null | undefined;
  return (
    <div data-testid="overview">
      <p data-testid="status">
        state <b data-testid="state">{text(status["state"])}</b> · pending <b data-testid="pending">{text(status["pending"])}</b> · dead letters{" "}
        <b data-testid="dead">{text(status["deadLetters"])}</b> · forced offline <b data-testid="forced">{text(status["forcedOffline"])}</b>
      </p>
      <div class="cards">
        {cards.map(([label, value, bad]) => (
          <div class="card" key={label}>
            <div class="label">{label}</div>
            <div class={bad ? "value bad" : "value"}>{value}</div>
          </div>
        ))}
      </div>
      {error && <p class="muted">last error: {text(error["message"] ?? error)}</p>}
      <div class="bar">
        <button data-testid="offline" onClick={() => act({ name: "setOffline", offline: status["forcedOffline"] !== true })}>
          {status["forcedOffline"] === true ? "Go online" : "Force offline"}
        </button>
        <button data-testid="sync" onClick={() => act({ name: "sync" })}>Sync now</button>
        <button data-testid="pause" onClick={() => act({ name: status["paused"] === true ? "resume" : "pause" })}>
          {status["paused"] === true ? "Resume" : "Pause"}
        </button>
        <button data-testid="export" onClick={() => act({ name: "exportSnapshot" })}>Export snapshot</button>
      </div>
    </div>
  );
}
