import type { ClientView } from "./connection";

type Labelled = Pick<ClientView, "key" | "clientId" | "frameId" | "name"> & { origin?: string };

/**
 * What the client selector calls each client, by key: its name, or its page id (`todos#2`) where clients
 * share a name, with its frame and the frame's origin (as the browser reported it) when it is not the top one. Page data may be forged to look like another
 * client's label: labels that still collide get the client's key, which is unique.
 */
export function clientLabels(clients: readonly Labelled[]): Map<string, string> {
  const count = <K>(keys: K[]) => keys.reduce((counts, key) => counts.set(key, (counts.get(key) ?? 0) + 1), new Map<K, number>());
  const named = count(clients.map(({ name }) => name));
  const labels = clients.map(({ clientId, frameId, name, origin }) => `${named.get(name) === 1 ? name : clientId}${frameId === 0 ? "" : ` (frame ${frameId}${origin ? `, ${origin}` : ""})`}`);
  const used = count(labels);
  return new Map(clients.map(({ key }, index) => [key, used.get(labels[index]!) === 1 ? labels[index]! : `${labels[index]!} [${key}]`]));
}
