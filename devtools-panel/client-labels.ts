import type { ClientView } from "./connection";

type Labelled = Pick<ClientView, "key" | "clientId" | "frameId" | "name">;

/**
 * What the client selector calls each client, by key: its name, and where clients share a name (two
 * stores of one app, one app in two frames), its page id and, outside the top frame, its frame.
 */
export function clientLabels(clients: readonly Labelled[]): Map<string, string> {
  const named = new Map<string, number>();
  for (const { name } of clients) named.set(name, (named.get(name) ?? 0) + 1);
  return new Map(
    clients.map(({ key, clientId, frameId, name }) => [key, named.get(name)! === 1 ? name : `${clientId}${frameId === 0 ? "" : ` (frame ${frameId})`}`]),
  );
}
