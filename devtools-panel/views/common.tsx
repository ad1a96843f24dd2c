import type { Command } from "../../sdk/bridge/protocol";
import type { ClientView } from "../connection";

export interface ViewProps {
  client: ClientView;
  act: (command: Command) => void;
}

/** A value from the page, as text: everything the page sends is untrusted and never markup. */
export function text(value: unknown): string {
  if (value === undefined || value === null) return "–";
  return typeof value === "string" ? value : JSON.stringify(value);
}
