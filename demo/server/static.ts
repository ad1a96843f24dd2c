/** Serves files from directories mounted at URL prefixes, never outside them. */
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { methodNotAllowed, notFound } from "../../server/errors";

export type StaticMount = { prefix: string; root: string };

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** Longest prefix first, so "/sdk/" wins over "/". */
export function staticMounts(config: Record<string, string>): StaticMount[] {
  return Object.entries(config)
    .map(([prefix, dir]) => ({ prefix: prefix.endsWith("/") ? prefix : `${prefix}/`, root: resolve(dir) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
}

/** Null when no mount covers the path. */
export async function serveStatic(mounts: StaticMount[], pathname: string, method: string): Promise<Response | null> {
  const mount = mounts.find((candidate) => pathname.startsWith(candidate.prefix));
  if (!mount) return null;
  if (method !== "GET" && method !== "HEAD") throw methodNotAllowed("GET, HEAD");

  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice(mount.prefix.length));
  } catch {
    throw notFound();
  }
  let file = resolve(mount.root, relative);
  if (relative.includes("\0") || (file !== mount.root && !file.startsWith(mount.root + sep))) throw notFound();

  let info = await stat(file).catch(() => null);
  if (info?.isDirectory()) {
    if (!pathname.endsWith("/")) return new Response(null, { status: 301, headers: { Location: `${pathname}/` } });
    file = join(file, "index.html");
    info = await stat(file).catch(() => null);
  }
  if (!info?.isFile()) throw notFound();
  const headers = {
    "Content-Type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    "Cache-Control": "no-store",
  };
  const content = await readFile(file);
  return new Response(method === "HEAD" ? null : content, { status: 200, headers: { ...headers, "Content-Length": String(content.length) } });
}
