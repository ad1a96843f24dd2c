import { useRef, useState } from "preact/hooks";
import type { Command } from "../../sdk/bridge/protocol";
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
  const toggles = useToggles({ offline: status["forcedOffline"] === true, paused: status["paused"] === true }, act);
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
        <button data-testid="offline" onClick={() => toggles.flip("offline", (offline) => ({ name: "setOffline", offline }))}>
          {toggles.shown.offline ? "Go online" : "Force offline"}
        </button>
        <button data-testid="sync" onClick={() => void act({ name: "sync" })}>Sync now</button>
        <button data-testid="pause" onClick={() => toggles.flip("paused", (paused) => ({ name: paused ? "pause" : "resume" }))}>
          {toggles.shown.paused ? "Resume" : "Pause"}
        </button>
        <button data-testid="export" onClick={() => void act({ name: "exportSnapshot" })}>Export snapshot</button>
      </div>
    </div>
  );
}

type Toggle = "offline" | "paused";

/**
 * The two-state controls (force offline, pause). A click the page's status has not confirmed yet counts as
 * done: the next click undoes it instead of sending it again, even two clicks within one task (a ref, not
 * state, so the second click sees the first). A click whose command fails is forgotten.
 */
function useToggles(confirmed: Record<Toggle, boolean>, act: ViewProps["act"]) {
  const pending = useRef<Partial<Record<Toggle, boolean>>>({});
  const [, rerender] = useState(0);
  for (const key of ["offline", "paused"] as const) if (pending.current[key] === confirmed[key]) delete pending.current[key];
  const shown = { offline: pending.current.offline ?? confirmed.offline, paused: pending.current.paused ?? confirmed.paused };
  const flip = (key: Toggle, command: (on: boolean) => Command) => {
    const on = !(pending.current[key] ?? confirmed[key]);
    pending.current[key] = on;
    rerender((n) => n + 1);
    void act(command(on)).then((ok) => {
      if (ok || pending.current[key] !== on) return;
      delete pending.current[key];
      rerender((n) => n + 1);
    });
  };
  return { shown, flip };
}
