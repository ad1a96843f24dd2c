/**
 * The reference server, in memory on 127.0.0.1, also serving the bench page, the SDK build, idb and Workbox; and
 * a null server under /null/<collection>/ that answers every write as created at once and stores nothing, so a
 * drain against it measures the client alone: `POST _batch` as the protocol's batch, and `PUT <id>` as its
 * single-item write (one op per request, what an app queues with Workbox for one write).
 */
import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve } from "node:path";
import { createSyncServer, type SyncServer } from "../../demo/server/app";

/** `before`: a folder holding an earlier SDK build, served as /sdk-before/ (the before/after section). */
export async function startBenchServer(root: string, before?: string): Promise<{ server: SyncServer; url: string; nullRequests: Map<string, number> }> {
  const sdk = resolve(root, "dist/sdk/index.js");
  if (!existsSync(sdk)) throw new Error(`${sdk} is missing: run \`npm run build\` first`);
  const server = createSyncServer({
    db: ":memory:",
    staticMounts: {
      "/": resolve(root, "test/bench/page"),
      "/sdk/": resolve(root, "dist/sdk"),
      "/vendor/idb/": resolve(root, "node_modules/idb/build"),
      // Workbox's own prebuilt bundles for importScripts() in a service worker (page/workbox/sw.js).
      "/vendor/workbox-core/": resolve(root, "node_modules/workbox-core/build"),
      "/vendor/workbox-background-sync/": resolve(root, "node_modules/workbox-background-sync/build"),
      ...(before !== undefined && { "/sdk-before/": before }),
    },
  });
  const [reference] = server.server.listeners("request") as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.server.removeAllListeners("request");
  const nullRequests = new Map<string, number>();
  server.server.on("request", (req: IncomingMessage, res: ServerResponse) => (req.url?.startsWith("/null/") ? nullServer(req, res, nullRequests) : reference!(req, res)));
  try {
    const { url } = await server.listen(0, "127.0.0.1");
    return { server, url, nullRequests };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** Routes /null/<collection>/_batch and /null/<collection>/<id>, counting the requests answered 2xx by collection. */
function nullServer(req: IncomingMessage, res: ServerResponse, counts: Map<string, number>): void {
  const [collection = "", item = ""] = new URL(req.url ?? "/", "http://null").pathname.split("/").slice(2);
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (status < 300) counts.set(collection, (counts.get(collection) ?? 0) + 1);
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    if (item === "_batch" && req.method === "POST") return answer(200, nullBatch(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    if (item !== "" && req.method === "PUT") {
      const record = nullRecord(decodeURIComponent(item), undefined, false, JSON.parse(Buffer.concat(chunks).toString("utf8")));
      return answer(201, record, { ETag: `"${record.version}"` });
    }
    answer(405, { error: "the null server takes POST _batch and PUT <id>" });
  });
}

/** Answers a `_batch` as the protocol would if every op were a create it applied. */
function nullBatch({ ops }: { ops: Array<{ opId: string; id: string; method: string; ifMatch?: number; body?: unknown }> }): { results: unknown[] } {
  return {
    results: ops.map((op) => ({ opId: op.opId, status: op.ifMatch === undefined ? 201 : 200, body: nullRecord(op.id, op.ifMatch, op.method === "DELETE", op.body) })),
  };
}

function nullRecord(id: string, ifMatch: number | undefined, deleted: boolean, body: unknown): { id: string; version: number; updatedAt: string; deleted: boolean; value: unknown } {
  return { id, version: (ifMatch ?? 0) + 1, updatedAt: new Date().toISOString(), deleted, value: deleted ? null : body };
}
