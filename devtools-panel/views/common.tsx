import { useEffect, useState } from "preact/hooks";
import type { Command } from "../../sdk/bridge/protocol";
import type { ClientView } from "../connection";

export interface ViewProps {
  client: ClientView;
  /** Runs a command; its outcome shows in the panel's reply line. Resolves to whether it succeeded. */
  act: (command: Command) => Promise<boolean>;
  /** Runs a command for its result (expand, pages); rejects on an imported snapshot. */
  request: (command: Command) => Promise<unknown>;
  readOnly: boolean;
  /** Empties the timeline shown (the page's log is untouched). */
  clearTimeline: () => void;
}

/**
 * How many dead letters or conflicts the client has: its status counts them all, while its list holds
 * the first ones that fit one bridge message.
 */
export function total(client: Pick<ClientView, "status" | "deadLetters" | "conflicts">, part: "deadLetters" | "conflicts"): number {
  const counted = Number(client.status?.[part]);
  return Math.max(client[part].length, Number.isSafeInteger(counted) ? counted : 0);
}

/** A value from the page, as text: everything the page sends is untrusted and never markup. */
export function text(value: unknown): string {
  if (value === undefined || value === null) return "–";
  return visible(plain(value));
}

/**
 * Any value as a string, without ever throwing: the one way page values become text. `String()` throws
 * for an object whose `toString` is not a function; `JSON.stringify` for a cycle or a bigint.
 */
export function plain(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null) {
    try {
      return String(value);
    } catch {
      return "[unprintable]";
    }
  }
  try {
    return JSON.stringify(value) ?? "–";
  } catch {
    return "[unprintable]";
  }
}

/** Direction controls (U+202E and kin): they would reorder the panel's own text around them. */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** A page string with its direction controls shown as escapes (`\u202E`), so they neither hide nor act. */
export function visible(value: string): string {
  return value.replace(BIDI_CONTROLS, (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
}

/** A set of keys in state, and a function that adds a key or takes it out again. */
export function useToggleSet(): [ReadonlySet<string>, (key: string) => void] {
  const [keys, setKeys] = useState<ReadonlySet<string>>(new Set());
  const toggle = (key: string) => {
    const next = new Set(keys);
    if (!next.delete(key)) next.add(key);
    setKeys(next);
  };
  return [keys, toggle];
}

/** The current time, refreshed every `everyMs` while the component is shown (countdowns, ages, charts). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** "3 s", "4 min", "2 h": a duration at a glance. */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h`;
}

/**
 * A page timestamp as local time to the millisecond (events a millisecond apart stay in order), with the
 * date when it is not today (an imported snapshot from another day); "–" when it is not a time.
 */
export function clock(at: unknown, now = Date.now()): string {
  if (typeof at !== "number" || !Number.isFinite(at)) return "–";
  const date = new Date(at);
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, "0")}`;
  if (date.toDateString() === new Date(now).toDateString()) return time;
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${time}`;
}
