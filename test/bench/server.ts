/**
 * The reference server, in memory on 127.0.0.1, also serving the bench page, the SDK build and idb; and a null
 * server under /null/<collection>/_batch that answers every op as created at once and stores nothing, so a
 * drain against it measures the client alone.
 */
import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve } from "node:path";
import { createSyncServer, type SyncServer } from "../../demo/server/app";

/** `before`: a folder holding an earlier SDK build, served as /sdk-before/ (the before/after section). */
export async function startBenchServer(root: string, before?: string): Promise<{ server: SyncServer; url: string }> {
  const sdk = resolve(root, "dist/sdk/index.js");
  if (!existsSync(sdk)) throw new Error(`${sdk} is missing: run \`npm run build\` first`);
  const server = createSyncServer({
    db: ":memory:",
    staticMounts: {
      "/": resolve(root, "test/bench/page"),
      "/sdk/": resolve(root, "dist/sdk"),
      "/vendor/idb/": resolve(root, "node_modules/idb/build"),
      ...(before !== undefined && { "/sdk-before/": before }),
    },
  });
  const [reference] = server.server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.server.removeAllListeners("request");
  server.server.on("request", (req: IncomingMessage, res: ServerResponse) => (req.url?.startsWith("/null/") ? nullBatch(req, res) : reference!(req, res)));
  try {
    const { url } = await server.listen(0, "127.0.0.1");
    return { server, url };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** Answers a `_batch` as the protocol would if every op were a create it applied, storing nothing. */
function nullBatch(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const { ops } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { ops: Array<{ opId: string; id: string; method: string; ifMatch?: number; body?: unknown }> };
    const updatedAt = new Date().toISOString();
    const results = ops.map((op) => {
      const deleted = op.method === "DELETE";
      const version = (op.ifMatch ?? 0) + 1;
      return { opId: op.opId, status: op.ifMatch === undefined ? 201 : 200, body: { id: op.id, version, updatedAt, deleted, value: deleted ? null : op.body } };
    });
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ results }));
  });
}
