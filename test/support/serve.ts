/** Serves a Fetch handler on 127.0.0.1 and a free port, through @hono/node-server, as an app would. */
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";

export type Served = { url: string; close(): Promise<void> };

export async function serveHandler(fetch: (request: Request) => Promise<Response>): Promise<Served> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
