import { blockedLine } from "../blocked-text";
import { OverviewCharts } from "./charts";
import { clock, text, useNow, type ViewProps } from "./common";

/** State, headline numbers, charts of the last minutes and the controls of one client. */
export function Overview({ client, act, readOnly }: ViewProps) {
  const now = useNow();
  const status = client.status ?? {};
  const metrics = client.metrics ?? {};
  const latency = (metrics["latencyMs"] ?? {}) as Record<string, unknown>;
  const ms = (value: unknown) => (typeof value === "number" ? `${Math.round(value)} ms` : "–");
  const sent = Number(metrics["bytesSent"] ?? 0);
  const raw = Number(metrics["bytesBeforeCompression"] ?? 0);
  const paused = status["authPaused"] === true ? " (auth paused)" : status["paused"] === true ? " (paused)" : "";
  const block = blockedLine(status["blocked"], now);
  const attempted = Number(metrics["totalAttempts"] ?? 0) > 0;
  const network = status["forcedOffline"] === true ? "forced offline" : block?.reason === "slow" ? "slow (timeouts)" : status["online"] === true ? "online" : status["online"] === false ? "unreachable" : "–";
  // [label, value, bad, test id]
  const cards: [string, string, boolean?, string?][] = [
    ["state", `${text(status["state"])}${paused}`, status["state"] === "error" || status["state"] === "conflict" || paused !== "", "state"],
    ["network", network, status["online"] === false || block?.reason === "slow", "network"],
    ["pending", text(status["pending"]), false, "pending"],
    ["dead letters", text(status["deadLetters"]), Number(status["deadLetters"]) > 0, "dead"],
    ["conflicts", text(status["conflicts"]), Number(status["conflicts"]) > 0, "conflict-count"],
    ["refused writes", text(metrics["refusedWrites"] ?? 0), Number(metrics["refusedWrites"]) > 0, "refused"],
    ["last sync", typeof status["lastSyncAt"] === "number" ? clock(status["lastSyncAt"], now) : "never"],
    // No request yet: no rate and no latency, rather than "100%" and "0 ms".
    ["success rate", attempted && typeof metrics["successRate"] === "number" ? `${Math.round(metrics["successRate"] * 100)}%` : "–"],
    ["latency p50 / p95", Number(latency["count"] ?? latency["samples"] ?? 0) > 0 ? `${ms(latency["p50"])} / ${ms(latency["p95"])}` : "–"],
    ["bytes sent", `${sent.toLocaleString("en-US")} B`],
    ["compression", raw > 0 && sent > 0 ? `${(raw / sent).toFixed(1)}×, −${Math.max(0, Math.round((1 - sent / raw) * 100))}%` : "–"],
  ];
  const error = status["lastError"] as Record<string, unknown> | null | undefined;
  return (
    <div data-testid="overview">
      {block && (
        <p class="blocked" role="status" data-testid="blocked">
          {block.line}
          {block.fix && <span class="fix"> · {block.fix}</span>}
        </p>
      )}
      <div class="cards">
        {cards.map(([label, value, bad, testId]) => (
          <div class="card" key={label}>
            <div class="label">{label}</div>
            <div class={bad ? "value bad" : "value"} data-testid={testId}>
              {value}
            </div>
          </div>
        ))}
      </div>
      {error && (
        <p class="muted" data-testid="last-error">
          last error: {text(error["message"] ?? error)}
        </p>
      )}
      {!readOnly && <OverviewCharts history={client.history} now={Math.max(now, Date.now())} />}
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
