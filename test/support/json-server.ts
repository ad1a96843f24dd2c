/**
 * json-server 0.17.4, the real npm package, as a stock REST backend nobody here wrote: started in the test
 * process on 127.0.0.1 and a free port, over a database file of its own. Its behaviour, as the REST
 * transport meets it: POST creates (500 "duplicate id" when the id exists, its stack printed to stderr by
 * json-server's router), PUT and PATCH of a missing id
 * are 404, DELETE of a missing id is 404, no versions (its ETag is a hash of the body), no If-Match, no
 * idempotency keys, no change feed.
 */
import type { Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import jsonServer from "json-server";

export type JsonServer = {
  url: string;
  /** The collection's items as json-server holds them (read from its database file, as it writes it). */
  items(collection: string): Array<Record<string, unknown>>;
  close(): Promise<void>;
};

export async function startJsonServer(collections: string[] = ["todos"]): Promise<JsonServer> {
  const dir = mkdtempSync(join(tmpdir(), "synclens-json-server-"));
  const file = join(dir, "db.json");
  writeFileSync(file, JSON.stringify(Object.fromEntries(collections.map((name) => [name, []]))));
  const app = jsonServer.create();
  app.use(jsonServer.defaults({ logger: false }));
  app.use(jsonServer.router(file));
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    items: (collection) => (JSON.parse(readFileSync(file, "utf8")) as Record<string, Array<Record<string, unknown>>>)[collection] ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
