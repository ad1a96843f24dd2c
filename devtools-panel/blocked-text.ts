import { clock, text } from "./views/common";

/** The line that says why a client is not syncing, and what lifts it; null when nothing holds it. */
export interface BlockedLine {
  reason: string;
  line: string;
  fix?: string;
}

/**
 * `status.blocked` in words: "Not syncing: <reason> until <time>", with the fix where there is one. Page
 * values go through `text()`/`clock()`, so a hostile one is inert; an unknown reason is shown as given.
 */
export function blockedLine(blocked: unknown, now = Date.now()): BlockedLine | null {
  if (typeof blocked !== "object" || blocked === null) return null;
  const b = blocked as Record<string, unknown>;
  const reason = typeof b["reason"] === "string" ? b["reason"] : "unknown";
  const at = (field: string) => clock(b[field], now);
  const attempt = typeof b["attempt"] === "number" ? ` (attempt ${b["attempt"]})` : "";
  const say = (line: string, fix?: string): BlockedLine => ({ reason, line: `Not syncing: ${line}`, ...(fix ? { fix } : {}) });
  switch (reason) {
    case "forced-offline":
      return say(`forced offline by the ${text(b["by"])} since ${at("since")}`, "Go online");
    case "paused":
      return say(`paused by the ${text(b["by"])} since ${at("since")}`, "Resume");
    case "auth":
      return say(`the server refused the credentials${typeof b["status"] === "number" ? ` (HTTP ${b["status"]})` : ""}`, text(b["fix"]));
    case "unreachable":
      return say(`the server is unreachable (${text(b["url"])}); last probe ${at("lastProbeAt")}, next probe ${at("nextProbeAt")}`);
    case "throttled":
      return say(`throttled by the server (Retry-After) until ${at("until")}`);
    case "slow":
      return say(`the server is slow: requests time out after ${text(b["timeoutMs"])} ms; next try ${at("until")}${attempt}`, "raise timeoutMs if the server is just slow");
    case "backoff":
      return say(`backing off after failures until ${at("until")}${attempt}`);
    case "busy": {
      const holder = typeof b["holder"] === "object" && b["holder"] !== null ? (b["holder"] as Record<string, unknown>) : undefined;
      const which = holder ? `: ${text(holder["page"] ?? "a worker")}, draining since ${clock(holder["since"], now)}` : "";
      return say(`another tab or worker is draining this database (since ${at("since")})${which}`);
    }
    case "dead-letters": {
      const items = Array.isArray(b["items"]) ? b["items"].slice(0, 5).map(text).join(", ") : "";
      return say(`waiting on ${text(b["count"])} dead letter${b["count"] === 1 ? "" : "s"}${items ? ` (${items})` : ""}`, "retry or discard them in Dead letters");
    }
    case "conflicts":
      return say(`waiting on ${text(b["count"])} conflict${b["count"] === 1 ? "" : "s"}`, "resolve them in Conflicts");
    default:
      return say(text(reason));
  }
}

/** Reasons that hold every operation, whatever its own state: queue rows say this instead of "due now". */
export const GLOBAL_BLOCKS = new Set(["forced-offline", "paused", "auth", "unreachable", "throttled", "slow", "backoff", "busy"]);
