import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createSyncServer, type SyncServer, type SyncServerOptions } from "../../demo/server/app";

/** The reference server on 127.0.0.1, on a free port, in memory. */
export async function startReferenceServer(options: Partial<SyncServerOptions> = {}): Promise<SyncServer & { url: string }> {
  const server = createSyncServer({ db: ":memory:", ...options });
  const { url } = await server.listen(0, "127.0.0.1");
  return Object.assign(server, { url });
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/**
 * A real HTTP server whose replies a test scripts, for the status codes and malformed replies that the
 * reference server would never send on its own. It records every request.
 */
export async function startScriptedServer(
  reply: (request: RecordedRequest, res: ServerResponse) => void,
): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(recorded);
      reply(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers a batch request as the reference server would, applying `status` to every op. */
export function batchReply(request: RecordedRequest, res: ServerResponse, status: number, body: (op: { opId: string; id: string }, i: number) => unknown): void {
  const { ops } = JSON.parse(request.body) as { ops: Array<{ opId: string; id: string }> };
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ results: ops.map((op, i) => ({ opId: op.opId, status, body: body(op, i) })) }));
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
