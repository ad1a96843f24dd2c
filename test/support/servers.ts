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

/** What a proxy does with one request: forward it, refuse it with a status, or lose it (before or after the target saw it). */
export type ProxyDecision = "forward" | { refuse: number } | "drop-before" | "drop-after";

/**
 * A real HTTP proxy on 127.0.0.1 in front of `target`, standing where a firewall, a gateway or a bad network
 * would: `decide` looks at each request (method, path, body) and says what happens to it. Refused requests get
 * an HTML page, as such proxies send; a dropped one has its connection closed, before the target saw it or
 * after it answered (a lost reply). It records every request it saw.
 */
export async function startProxy(
  target: string,
  decide: (request: RecordedRequest) => ProxyDecision,
): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  return startScriptedServer((request, res) => {
    const decision = decide(request);
    if (decision === "drop-before") return void res.destroy();
    if (typeof decision === "object") {
      res.writeHead(decision.refuse, { "Content-Type": "text/html" });
      res.end(`<html><body><h1>${decision.refuse}</h1>Request blocked by policy</body></html>`);
      return;
    }
    const headers = Object.fromEntries(Object.entries(request.headers).flatMap(([name, value]) => (typeof value === "string" && name !== "host" && name !== "content-length" ? [[name, value]] : [])));
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : request.body;
    fetch(`${target}${request.path}`, { method: request.method, headers, ...(body !== undefined && { body }) }).then(
      async (reply) => {
        const text = await reply.text();
        if (decision === "drop-after") return void res.destroy();
        res.writeHead(reply.status, Object.fromEntries([...reply.headers].filter(([name]) => name !== "content-length" && name !== "content-encoding" && name !== "transfer-encoding")));
        res.end(text);
      },
      () => res.destroy(),
    );
  });
}
