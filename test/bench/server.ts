/** The reference server, in memory on 127.0.0.1, also serving the bench page, the SDK build and idb. */
import { existsSync } from "node:fs";
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
  try {
    const { url } = await server.listen(0, "127.0.0.1");
    return { server, url };
  } catch (error) {
    await server.close();
    throw error;
  }
}
