/**
 * Section 6 of the benchmark: the server library (server/) on its two stores, against bare SQL on the same
 * database, in one process (`BENCH_ONLY=server`, or with the whole suite; needs no build and no browser).
 *
 * Writes: `createSyncHandler` mounted in node:http with @hono/node-server's getRequestListener on 127.0.0.1,
 * CLIENTS client loops each posting `_batch` requests of BATCH creates (PUT, ifNoneMatch "*"), one batch in
 * flight per loop, on (a) SQLite (a file, WAL), (b) PostgreSQL through one handler, (c) PostgreSQL through two
 * handlers (two http servers, each its own postgresStore and pg Pool), the loops spread over both, each loop
 * writing a collection (feed) of its own, and (c') the same with every loop writing one collection: one feed's
 * writes serialize on its row lock. Baseline: the same rows (scope, collection, id, version, updated_at,
 * deleted, value as JSON text, seq) into a table shaped and indexed like synclens_records, one transaction per
 * batch, from as many loops, straight through better-sqlite3 / pg. A third variant, applyWrites() called on the
 * same store(s) without HTTP, shows how the handler's time splits. Each round runs every variant once, in
 * rotating order; figures are medians over rounds, and ratios are taken round by round (the variants of a
 * round saw the same machine and about the same table sizes), then summarised as median and [min-max].
 *
 * Pulls: a 100,000-change feed, seeded with applyWrites, read to the end over HTTP with `_changes?limit=1000`,
 * against the bare SELECT paging (`WHERE seq > $1 ORDER BY seq LIMIT 1000`) of the same rows copied into a
 * table keyed by seq; readChanges() on the store without HTTP and the store's own SELECT run bare on its own
 * table show where the handler's time goes.
 *
 * Also printed, for where the time goes: the CPU this process and PostgreSQL used while each variant ran
 * (process.cpuUsage, /proc), fingerprintOf alone, and whether the two instances' requests overlapped.
 *
 * Every case gets a fresh SQLite file or a fresh PostgreSQL schema. PostgreSQL is a private cluster started and
 * stopped here (test/support/postgres.ts: fsync, synchronous_commit and full_page_writes off). Its write cases
 * run ANALYZE after the warm-up round, as autovacuum would on a live database: a last probe shows what the
 * store's writes cost on tables never analyzed.
 */
import { getRequestListener } from "@hono/node-server";
import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { Agent, createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { applyWrites } from "../../server/apply";
import { createSyncHandler } from "../../server/handler";
import { readChanges } from "../../server/feed";
import { postgresStore } from "../../server/postgres";
import type { ChangesPage } from "../../server/protocol";
import { fingerprintOf, type WriteRequest } from "../../server/rules";
import { sqliteStore } from "../../server/sqlite";
import type { SyncStore } from "../../server/store";
import { startPostgres } from "../support/postgres";
import { table } from "./report";
import { median, ratio } from "./stats";

/** Client loops, each with one batch in flight. */
const CLIENTS = 4;
const BATCH = 100;
/** Batches each loop sends per variant per round. */
const BATCHES_PER_CLIENT = 25;
const ROUNDS = 5;
/** Rounds run first and discarded (JIT, connections, plans). */
const WARMUP_ROUNDS = 1;
const PULL_CHANGES = 100_000;
const PAGE = 1_000;
const PULL_ROUNDS = 5;
/** Batches applyWrites seeds the feed with (the HTTP limit of 500 ops does not apply to it). */
const SEED_BATCH = 1_000;
/** The probe on never-analyzed tables: batches timed at the start, when the feed holds PROBE_AT rows, and after ANALYZE. */
const PROBE_BATCHES = 20;
const PROBE_AT = 30_000;
/** Batches of fingerprintOf alone. */
const FINGERPRINT_BATCHES = 200;

const SCOPE = "";

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface RateFigures extends Spread {
  /** Per round, in order. */
  perRound: number[];
}

export type WriteVariant = "handler" | "direct" | "baseline";

/** CPU time during a variant's timed runs, as a share of its wall time (1 = one core busy), median over rounds. */
export interface CpuShare {
  /** This process: event loop, libuv threadpool, GC threads (the clients included). */
  node: number;
  /** Every PostgreSQL process (backends, walwriter, autovacuum), from /proc; null on SQLite or without /proc. */
  postgres: number | null;
}

export interface WriteCaseResult {
  key: "sqlite" | "pg1" | "pg2" | "pg2OneFeed";
  label: string;
  instances: number;
  /** Feeds (collections) the loops write. */
  feeds: number;
  /** Writes per variant per round. */
  writesPerRound: number;
  /** Writes per second: through the handler over HTTP, applyWrites() without HTTP, the bare INSERTs. */
  handler: RateFigures;
  direct: RateFigures;
  baseline: RateFigures;
  /** handler writes/s ÷ baseline writes/s, round by round. */
  ratio: Spread;
  /** applyWrites (no HTTP) writes/s ÷ baseline writes/s, round by round. */
  directRatio: Spread;
  cpu: Record<WriteVariant, CpuShare>;
  /** Two instances: requests that arrived while the other instance was handling one, over the timed rounds. */
  overlap: { requests: number; overlapped: number } | null;
}

export interface PullCaseResult {
  key: "sqlite" | "postgres";
  changes: number;
  pages: number;
  seedMs: number;
  /** Changes per second. */
  handler: RateFigures;
  /** readChanges() on the same store without HTTP: the store's query, its rows made records, the cursor. */
  readChanges: RateFigures;
  /** The store's own SELECT on synclens_records (scope, collection, seq > $n), run bare. */
  storeQuery: RateFigures;
  /** `SELECT ... FROM bench_feed WHERE seq > $1 ORDER BY seq LIMIT 1000`, seq the primary key. */
  baseline: RateFigures;
  ratio: Spread;
  storeQueryRatio: Spread;
}

/** applyWrites on PostgreSQL, one loop, one feed, tables never analyzed (autovacuum off on them): ms per batch, medians. */
export interface StatisticsProbe {
  batches: number;
  /** The first batches, feed nearly empty. */
  startMs: number;
  /** Once the feed holds `atRows` rows. */
  atRows: number;
  atRowsMs: number;
  /** Right after that, once ANALYZE ran. */
  analyzedMs: number;
}

export interface ServerLibResult {
  startedAt: string;
  durationMs: number;
  settings: {
    clients: number;
    batchSize: number;
    batchesPerClientPerRound: number;
    rounds: number;
    warmupRounds: number;
    pullChanges: number;
    pageSize: number;
    pullRounds: number;
    itemBytes: number;
  };
  environment: {
    node: string;
    cpus: number;
    sqlite: string;
    sqliteSynchronous: number;
    postgres: string;
    postgresSettings: Record<string, string>;
  };
  writes: WriteCaseResult[];
  pulls: PullCaseResult[];
  /** fingerprintOf (SHA-256, node:crypto where present) alone, 100 at once as applyWrites runs them: µs per write. */
  fingerprintUsPerWrite: number;
  statisticsProbe: StatisticsProbe;
}

type Progress = (message: string) => void;

// ---------------------------------------------------------------------------------------------------------
// Items, HTTP, measuring

function item(id: string, n: number): { id: string; title: string; done: boolean; priority: number; tags: string[]; note: string } {
  return { id, title: `item ${n}`, done: n % 3 === 0, priority: n % 5, tags: ["bench", "server"], note: "lorem ipsum dolor sit amet, consectetur adipiscing" };
}

const ITEM_BYTES = Buffer.byteLength(JSON.stringify(item("h0-c0-b0-00", 0)));

/** One batch of creates, as parseBatch makes them from a `_batch` body. */
function creates(prefix: string, size = BATCH, from = 0): WriteRequest[] {
  return Array.from({ length: size }, (_, i) => {
    const id = `${prefix}-${String(from + i).padStart(2, "0")}`;
    return { opId: `op-${id}`, id, method: "PUT", ifNoneMatch: "*", body: item(id, from + i) };
  });
}

type Reply = { status: number; text: string };

function call(agent: Agent, base: URL, method: string, path: string, body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body ? { "content-type": "application/json", "content-length": body.length } : {};
    const req = httpRequest({ agent, host: base.hostname, port: base.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Requests in flight per instance of a case, to see whether two instances really overlap. */
class Overlap {
  readonly inFlight: number[] = [];
  requests = 0;
  overlapped = 0;
  counting = false;
}

interface Instance {
  store: SyncStore;
  base: URL;
  close(): Promise<void>;
}

async function serve(store: SyncStore, overlap = new Overlap()): Promise<Instance> {
  const handler = createSyncHandler({ store, basePath: "/api" });
  const index = overlap.inFlight.push(0) - 1;
  const counted = async (request: Request): Promise<Response> => {
    if (overlap.counting) {
      overlap.requests++;
      if (overlap.inFlight.some((n, i) => i !== index && n > 0)) overlap.overlapped++;
    }
    overlap.inFlight[index]!++;
    try {
      return await handler(request);
    } finally {
      overlap.inFlight[index]!--;
    }
  };
  const server: Server = createServer(getRequestListener(counted));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    store,
    base: new URL(`http://127.0.0.1:${port}/api/`),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}

function spread(values: number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function rates(values: number[]): RateFigures {
  return { ...spread(values), perRound: values };
}

const byRound = (a: number[], b: number[]): Spread => spread(a.map((x, r) => ratio(x, b[r]!)));

/** CPU ms used so far by every process whose parent is the postmaster, or null where /proc is missing. */
type CpuClock = () => number | null;

/** A process's /proc/<pid>/stat fields after its name (in parentheses, may hold spaces): state, ppid, ..., utime (11), stime (12). */
function procStat(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null; // no /proc, or the process is gone
  }
}

function postgresCpuClock(postmaster: number | null): CpuClock {
  if (postmaster === null) return () => null;
  let tick = 100;
  try {
    tick = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    // 100 Hz on every Linux this runs on
  }
  return () => {
    let ticks = 0;
    for (const entry of readdirSync("/proc")) {
      const fields = /^\d+$/.test(entry) ? procStat(entry) : null;
      if (fields && (Number(fields[1]) === postmaster || Number(entry) === postmaster)) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return (ticks * 1000) / tick;
  };
}

const noPostgres: CpuClock = () => null;

interface Timed {
  ms: number;
  nodeCpuMs: number;
  postgresCpuMs: number | null;
}

async function timed(work: () => Promise<unknown>, postgresCpu: CpuClock): Promise<Timed> {
  const pgBefore = postgresCpu();
  const before = process.cpuUsage();
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  const used = process.cpuUsage(before);
  const pgAfter = postgresCpu();
  return { ms, nodeCpuMs: (used.user + used.system) / 1000, postgresCpuMs: pgBefore === null || pgAfter === null ? null : pgAfter - pgBefore };
}

// ---------------------------------------------------------------------------------------------------------
// Writes

/** What a case's baseline does: one batch of rows into bench_records, one transaction. */
type BareInsert = (collection: string, ids: string[], values: string[], firstSeq: number) => Promise<void>;

interface WriteCase {
  key: WriteCaseResult["key"];
  label: string;
  instances: Instance[];
  overlap: Overlap;
  oneFeed: boolean;
  bareInsert: BareInsert;
  postgresCpu: CpuClock;
  /** Runs once the warm-up rounds are done (ANALYZE on PostgreSQL). */
  afterWarmUp?: () => Promise<unknown>;
}

async function writeCase(c: WriteCase, progress: Progress): Promise<WriteCaseResult> {
  const collection = (variant: string, client: number) => (c.oneFeed ? `${variant}_all` : `${variant}_${client}`);
  const agents = Array.from({ length: CLIENTS }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const instanceOf = (client: number) => c.instances[client % c.instances.length]!;
  const bareSeq = new Map<string, number>();

  /** Makes a variant's inputs (untimed) and returns its timed run. */
  const prepare: Record<WriteVariant, (round: number) => () => Promise<unknown>> = {
    handler(round) {
      const bodies = agents.map((_, client) =>
        Array.from({ length: BATCHES_PER_CLIENT }, (_, b) => Buffer.from(JSON.stringify({ ops: creates(`h${round}-c${client}-b${b}`) }))),
      );
      return () =>
        Promise.all(
          agents.map(async (agent, client) => {
            const { base } = instanceOf(client);
            for (const body of bodies[client]!) {
              const reply = await call(agent, base, "POST", `${base.pathname}${collection("h", client)}/_batch`, body);
              const results = reply.status === 200 ? (JSON.parse(reply.text) as { results: Array<{ status: number }> }).results : [];
              if (results.length !== BATCH || results.some((result) => result.status !== 201)) {
                throw new Error(`${c.label}: a batch was answered ${reply.status} ${reply.text.slice(0, 300)}`);
              }
            }
          }),
        );
    },
    direct(round) {
      const batches = agents.map((_, client) => Array.from({ length: BATCHES_PER_CLIENT }, (_, b) => creates(`d${round}-c${client}-b${b}`)));
      return () =>
        Promise.all(
          agents.map(async (_, client) => {
            const { store } = instanceOf(client);
            for (const writes of batches[client]!) {
              const applied = await applyWrites(store, SCOPE, collection("d", client), writes);
              if (applied.some(({ reply }) => reply.status !== 201)) throw new Error(`${c.label}: applyWrites refused a create`);
            }
          }),
        );
    },
    baseline(round) {
      const batches = agents.map((_, client) =>
        Array.from({ length: BATCHES_PER_CLIENT }, (_, b) => {
          const writes = creates(`b${round}-c${client}-b${b}`);
          return { ids: writes.map((w) => w.id), values: writes.map((w) => JSON.stringify(w.body)) };
        }),
      );
      return () =>
        Promise.all(
          agents.map(async (_, client) => {
            const feed = collection("b", client);
            for (const { ids, values } of batches[client]!) {
              // The bare table has no feed row: the loop counts its collection's seq itself.
              const first = (bareSeq.get(feed) ?? 0) + 1;
              bareSeq.set(feed, first + ids.length - 1);
              await c.bareInsert(feed, ids, values, first);
            }
          }),
        );
    },
  };

  const variants: WriteVariant[] = ["handler", "direct", "baseline"];
  const perRound: Record<WriteVariant, number[]> = { handler: [], direct: [], baseline: [] };
  const cpu: Record<WriteVariant, { node: number[]; postgres: number[] }> = {
    handler: { node: [], postgres: [] },
    direct: { node: [], postgres: [] },
    baseline: { node: [], postgres: [] },
  };
  const writes = CLIENTS * BATCHES_PER_CLIENT * BATCH;
  try {
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      if (round === WARMUP_ROUNDS) await c.afterWarmUp?.();
      const counted = round >= WARMUP_ROUNDS;
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      const line: string[] = [];
      for (const variant of order) {
        const run = prepare[variant](round);
        c.overlap.counting = counted && variant === "handler";
        const t = await timed(run, c.postgresCpu);
        c.overlap.counting = false;
        const rate = (writes / t.ms) * 1000;
        line.push(`${variant} ${Math.round(rate)}/s`);
        if (!counted) continue;
        perRound[variant].push(rate);
        cpu[variant].node.push(t.nodeCpuMs / t.ms);
        if (t.postgresCpuMs !== null) cpu[variant].postgres.push(t.postgresCpuMs / t.ms);
      }
      progress(`  ${c.label}: ${counted ? `round ${round - WARMUP_ROUNDS + 1}/${ROUNDS}` : "warm-up (discarded)"}: ${line.join(", ")}`);
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  const share = (v: WriteVariant): CpuShare => ({ node: median(cpu[v].node), postgres: cpu[v].postgres.length ? median(cpu[v].postgres) : null });
  return {
    key: c.key,
    label: c.label,
    instances: c.instances.length,
    feeds: c.oneFeed ? 1 : CLIENTS,
    writesPerRound: writes,
    handler: rates(perRound.handler),
    direct: rates(perRound.direct),
    baseline: rates(perRound.baseline),
    ratio: byRound(perRound.handler, perRound.baseline),
    directRatio: byRound(perRound.direct, perRound.baseline),
    cpu: { handler: share("handler"), direct: share("direct"), baseline: share("baseline") },
    overlap: c.instances.length > 1 ? { requests: c.overlap.requests, overlapped: c.overlap.overlapped } : null,
  };
}

/** The baseline's table: synclens_records' columns, key and seq index, nothing else. */
const BARE_RECORDS_SQLITE = `
  CREATE TABLE bench_records (
    scope TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    updated_at TEXT NOT NULL, deleted INTEGER NOT NULL, value TEXT, seq INTEGER NOT NULL,
    PRIMARY KEY (scope, collection, id)
  ) WITHOUT ROWID;
  CREATE INDEX bench_records_by_seq ON bench_records (scope, collection, seq);
`;
const BARE_RECORDS_POSTGRES = `
  CREATE TABLE bench_records (
    scope text NOT NULL, collection text NOT NULL, id text NOT NULL, version integer NOT NULL,
    updated_at text NOT NULL, deleted boolean NOT NULL, value text, seq bigint NOT NULL,
    PRIMARY KEY (scope, collection, id)
  );
  CREATE INDEX bench_records_by_seq ON bench_records (scope, collection, seq);
`;

/** Makes a new SQLite file and turns it to WAL, before the store or the baseline opens it. */
function newWalFile(file: string): string {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.close();
  return file;
}

/** A bare connection to the store's SQLite file, opened as the store opens it (WAL, synchronous=FULL, busy timeout). */
function openSqlite(file: string): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  return db;
}

/** Prepared INSERTs, one BEGIN IMMEDIATE .. COMMIT per batch (the store's transactions are IMMEDIATE too). */
function sqliteBareInsert(db: Database.Database): BareInsert {
  db.exec(BARE_RECORDS_SQLITE);
  const insert = db.prepare<[string, string, string, number, string, number, string, number]>(
    "INSERT INTO bench_records (scope, collection, id, version, updated_at, deleted, value, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const batch = db.transaction((collection: string, ids: string[], values: string[], first: number) => {
    const updatedAt = new Date().toISOString();
    for (let i = 0; i < ids.length; i++) insert.run(SCOPE, collection, ids[i]!, 1, updatedAt, 0, values[i]!, first + i);
  });
  return async (collection, ids, values, first) => {
    // better-sqlite3 is synchronous: yield, so that the loops take turns as the handler's requests do.
    await new Promise(setImmediate);
    batch.immediate(collection, ids, values, first);
  };
}

/** One multi-row INSERT ... SELECT FROM unnest per batch (the statement the store's putRecords uses), autocommitted: one transaction. */
function postgresBareInsert(pool: pg.Pool): BareInsert {
  return async (collection, ids, values, first) => {
    const updatedAt = new Date().toISOString();
    await pool.query(
      `INSERT INTO bench_records (scope, collection, id, version, updated_at, deleted, value, seq)
       SELECT $1, $2, * FROM unnest($3::text[], $4::integer[], $5::text[], $6::boolean[], $7::text[], $8::bigint[])`,
      [SCOPE, collection, ids, ids.map(() => 1), ids.map(() => updatedAt), ids.map(() => false), values, ids.map((_, i) => first + i)],
    );
  };
}

// ---------------------------------------------------------------------------------------------------------
// Pulls

type BarePage = (after: string | number) => Promise<{ rows: number; last: string | number | undefined }>;

interface PullCase {
  key: PullCaseResult["key"];
  instance: Instance;
  seedMs: number;
  storeQuery: BarePage;
  baseline: BarePage;
}

const FEED = "feed";

/** PULL_CHANGES creates into FEED through applyWrites; `afterFirst` runs after the first batch. */
async function seedFeed(store: SyncStore, afterFirst: () => Promise<unknown> = async () => undefined): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < PULL_CHANGES; start += SEED_BATCH) {
    await applyWrites(store, SCOPE, FEED, creates("f", Math.min(SEED_BATCH, PULL_CHANGES - start), start));
    if (start === 0) await afterFirst();
  }
  return performance.now() - started;
}

async function pullCase(c: PullCase, progress: Progress): Promise<PullCaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const { base } = c.instance;
  const overHttp = async (): Promise<number> => {
    let since = "0";
    let count = 0;
    for (;;) {
      const reply = await call(agent, base, "GET", `${base.pathname}${FEED}/_changes?since=${encodeURIComponent(since)}&limit=${PAGE}`);
      if (reply.status !== 200) throw new Error(`_changes answered ${reply.status} ${reply.text.slice(0, 300)}`);
      const page = JSON.parse(reply.text) as ChangesPage;
      count += page.changes.length;
      since = page.cursor;
      if (!page.hasMore) return count;
    }
  };
  const paged = (pageOf: BarePage) => async (): Promise<number> => {
    let after: string | number = 0;
    let count = 0;
    for (;;) {
      const { rows, last } = await pageOf(after);
      count += rows;
      if (rows < PAGE || last === undefined) return count;
      after = last;
    }
  };
  const direct = async (): Promise<number> => {
    let since: string | null = null;
    let count = 0;
    for (;;) {
      const page = await readChanges(c.instance.store, SCOPE, FEED, since, PAGE);
      if (!page) throw new Error("readChanges refused its own cursor");
      count += page.changes.length;
      since = page.cursor;
      if (!page.hasMore) return count;
    }
  };
  const variants = { handler: overHttp, readChanges: direct, storeQuery: paged(c.storeQuery), baseline: paged(c.baseline) };
  const keys = Object.keys(variants) as Array<keyof typeof variants>;
  const perRound: Record<keyof typeof variants, number[]> = { handler: [], readChanges: [], storeQuery: [], baseline: [] };
  try {
    for (let round = 0; round < WARMUP_ROUNDS + PULL_ROUNDS; round++) {
      const line: string[] = [];
      for (const key of keys.map((_, i) => keys[(i + round) % keys.length]!)) {
        let count = 0;
        const { ms } = await timed(async () => (count = await variants[key]()), noPostgres);
        if (count !== PULL_CHANGES) throw new Error(`${c.key} ${key}: pulled ${count} changes, not ${PULL_CHANGES}`);
        line.push(`${key} ${Math.round((count / ms) * 1000)}/s`);
        if (round >= WARMUP_ROUNDS) perRound[key].push((count / ms) * 1000);
      }
      progress(`  pull ${c.key}: ${round < WARMUP_ROUNDS ? "warm-up (discarded)" : `round ${round - WARMUP_ROUNDS + 1}/${PULL_ROUNDS}`}: ${line.join(", ")}`);
    }
  } finally {
    agent.destroy();
  }
  return {
    key: c.key,
    changes: PULL_CHANGES,
    pages: Math.ceil(PULL_CHANGES / PAGE),
    seedMs: c.seedMs,
    handler: rates(perRound.handler),
    readChanges: rates(perRound.readChanges),
    storeQuery: rates(perRound.storeQuery),
    baseline: rates(perRound.baseline),
    ratio: byRound(perRound.handler, perRound.baseline),
    storeQueryRatio: byRound(perRound.storeQuery, perRound.baseline),
  };
}

const STORE_COLUMNS = "id, version, updated_at, deleted, value, seq";
/** The stores' own feed queries (server/sqlite.ts, server/postgres.ts), each through its feed index. */
const STORE_CHANGES_SQLITE = `SELECT ${STORE_COLUMNS} FROM synclens_records WHERE scope = ? AND collection = ? AND seq > ? ORDER BY seq LIMIT ?`;
const STORE_CHANGES_POSTGRES = `SELECT ${STORE_COLUMNS} FROM synclens_records
  WHERE feed = (SELECT id FROM synclens_feeds WHERE scope = $1 AND collection = $2) AND seq > $3 ORDER BY seq LIMIT $4`;
const BARE_FEED_SQLITE = "CREATE TABLE bench_feed (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, version INTEGER NOT NULL, updated_at TEXT NOT NULL, deleted INTEGER NOT NULL, value TEXT)";
const BARE_FEED_POSTGRES = "CREATE TABLE bench_feed (seq bigint PRIMARY KEY, id text NOT NULL, version integer NOT NULL, updated_at text NOT NULL, deleted boolean NOT NULL, value text)";
const COPY_FEED = `INSERT INTO bench_feed (seq, id, version, updated_at, deleted, value) SELECT seq, id, version, updated_at, deleted, value FROM synclens_records WHERE collection = '${FEED}' ORDER BY seq`;

// ---------------------------------------------------------------------------------------------------------
// Where the time goes

async function fingerprintCost(): Promise<number> {
  const batches = Array.from({ length: FINGERPRINT_BATCHES }, (_, b) => creates(`fp${b}`));
  for (const writes of batches.slice(0, 20)) await Promise.all(writes.map(fingerprintOf)); // warm-up
  const started = performance.now();
  for (const writes of batches) await Promise.all(writes.map(fingerprintOf));
  return ((performance.now() - started) * 1000) / (FINGERPRINT_BATCHES * BATCH);
}

/** applyWrites into one feed of never-analyzed tables (autovacuum off on them), as the feed grows; then ANALYZE. */
async function statisticsProbe(admin: pg.Client, url: string, schema: string, progress: Progress): Promise<StatisticsProbe> {
  const store = postgresStore({ connectionString: url });
  try {
    await store.lastSeq(SCOPE, "setup"); // creates the tables
    for (const name of ["synclens_records", "synclens_keys", "synclens_feeds"]) {
      await admin.query(`ALTER TABLE ${schema}.${name} SET (autovacuum_enabled = false)`);
    }
    let next = 0;
    const batch = async () => {
      const started = performance.now();
      await applyWrites(store, SCOPE, "probe", creates(`p${next++}`));
      return performance.now() - started;
    };
    const timedBatches = async () => {
      const ms: number[] = [];
      for (let i = 0; i < PROBE_BATCHES; i++) ms.push(await batch());
      return median(ms);
    };
    const startMs = await timedBatches();
    progress(`  never analyzed: ${startMs.toFixed(1)} ms per batch at the start; writing up to ${PROBE_AT.toLocaleString("en-US")} rows`);
    while (next * BATCH < PROBE_AT) await batch();
    const atRowsMs = await timedBatches();
    await admin.query(`ANALYZE ${schema}.synclens_records, ${schema}.synclens_keys, ${schema}.synclens_feeds`);
    const analyzedMs = await timedBatches();
    progress(`  never analyzed: ${atRowsMs.toFixed(1)} ms per batch at ${PROBE_AT.toLocaleString("en-US")} rows; after ANALYZE ${analyzedMs.toFixed(1)} ms`);
    return { batches: PROBE_BATCHES, startMs, atRows: PROBE_AT, atRowsMs, analyzedMs };
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The section

export async function serverLibBenchmark(progress: Progress): Promise<ServerLibResult> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "synclens-bench-server-"));
  const cleanups: Array<() => Promise<unknown>> = [];
  const later = (cleanup: () => Promise<unknown>) => cleanups.unshift(cleanup);
  try {
    const writes: WriteCaseResult[] = [];
    const pulls: PullCaseResult[] = [];

    // SQLite writes: one file for the handler's store and the bare table, each its own connection.
    progress(`server: SQLite writes (${CLIENTS} loops × ${BATCHES_PER_CLIENT} batches of ${BATCH} per variant per round; ${WARMUP_ROUNDS} + ${ROUNDS} rounds)`);
    const sqliteFile = newWalFile(join(dir, "writes.db"));
    const db = openSqlite(sqliteFile);
    later(async () => db.close());
    const sqlite = {
      version: db.prepare<[], { v: string }>("SELECT sqlite_version() AS v").get()!.v,
      synchronous: db.pragma("synchronous", { simple: true }) as number,
    };
    {
      const overlap = new Overlap();
      const instance = await serve(sqliteStore(sqliteFile), overlap);
      later(() => instance.close());
      const label = "SQLite (WAL file), 1 instance";
      writes.push(await writeCase({ key: "sqlite", label, instances: [instance], overlap, oneFeed: false, bareInsert: sqliteBareInsert(db), postgresCpu: noPostgres }, progress));
    }

    progress("server: starting PostgreSQL");
    const postgres = await startPostgres();
    later(() => postgres.stop());
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    later(() => admin.end());
    const show = async (name: string) => (await admin.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
    const postgresVersion = await show("server_version");
    const postgresSettings: Record<string, string> = {};
    for (const name of ["fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "autovacuum"]) postgresSettings[name] = await show(name);
    const backend = (await admin.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    const parent = procStat(backend)?.[1];
    const postmaster = parent === undefined ? null : Number(parent);
    const postgresCpu = postgresCpuClock(postmaster);
    /** A fresh schema of the run's database: its connection string. */
    const schema = async (name: string): Promise<string> => {
      await admin.query(`CREATE SCHEMA ${name}`);
      return `${postgres.url}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
    };
    const barePool = async (url: string, ddl: string): Promise<pg.Pool> => {
      const pool = new pg.Pool({ connectionString: url, max: CLIENTS });
      later(() => pool.end());
      await pool.query(ddl);
      return pool;
    };

    const postgresCases = [
      { key: "pg1", label: "PostgreSQL, 1 instance", instances: 1, oneFeed: false },
      { key: "pg2", label: "PostgreSQL, 2 instances", instances: 2, oneFeed: false },
      { key: "pg2OneFeed", label: "PostgreSQL, 2 instances, one feed", instances: 2, oneFeed: true },
    ] as const;
    for (const spec of postgresCases) {
      progress(`server: ${spec.label} writes`);
      const name = `bench_${spec.key.toLowerCase()}`;
      const url = await schema(name);
      const overlap = new Overlap();
      const instances: Instance[] = [];
      for (let i = 0; i < spec.instances; i++) {
        const instance = await serve(postgresStore({ connectionString: url }), overlap);
        later(() => instance.close());
        await instance.store.lastSeq(SCOPE, "setup"); // creates the tables before any clock runs
        instances.push(instance);
      }
      const pool = await barePool(url, BARE_RECORDS_POSTGRES);
      const tables = ["synclens_records", "synclens_keys", "synclens_feeds", "bench_records"].map((t) => `${name}.${t}`).join(", ");
      writes.push(
        await writeCase(
          { ...spec, instances, overlap, bareInsert: postgresBareInsert(pool), postgresCpu, afterWarmUp: () => admin.query(`ANALYZE ${tables}`) },
          progress,
        ),
      );
    }

    // Pulls: the feed seeded through applyWrites, copied into bench_feed for the bare baseline.
    progress(`server: SQLite pull, seeding ${PULL_CHANGES.toLocaleString("en-US")} changes`);
    {
      const file = newWalFile(join(dir, "pull.db"));
      const store = sqliteStore(file);
      const seedMs = await seedFeed(store);
      const instance = await serve(store);
      later(() => instance.close());
      const bare = openSqlite(file);
      later(async () => bare.close());
      bare.exec(BARE_FEED_SQLITE);
      bare.exec(COPY_FEED);
      bare.exec("ANALYZE");
      const storeSelect = bare.prepare<[string, string, number, number], { seq: number }>(STORE_CHANGES_SQLITE);
      const bareSelect = bare.prepare<[number, number], { seq: number }>(`SELECT ${STORE_COLUMNS} FROM bench_feed WHERE seq > ? ORDER BY seq LIMIT ?`);
      const page = (rows: Array<{ seq: number }>) => ({ rows: rows.length, last: rows.at(-1)?.seq });
      const storeQuery: BarePage = async (after) => page(storeSelect.all(SCOPE, FEED, Number(after), PAGE));
      const baseline: BarePage = async (after) => page(bareSelect.all(Number(after), PAGE));
      pulls.push(await pullCase({ key: "sqlite", instance, seedMs, storeQuery, baseline }, progress));
    }
    progress(`server: PostgreSQL pull, seeding ${PULL_CHANGES.toLocaleString("en-US")} changes`);
    {
      const url = await schema("bench_pull");
      const store = postgresStore({ connectionString: url });
      const seedMs = await seedFeed(store, () => admin.query("ANALYZE bench_pull.synclens_records, bench_pull.synclens_keys"));
      const instance = await serve(store);
      later(() => instance.close());
      const pool = await barePool(url, BARE_FEED_POSTGRES);
      await pool.query(COPY_FEED);
      await pool.query("VACUUM ANALYZE");
      const page = (rows: Array<{ seq: string }>) => ({ rows: rows.length, last: rows.at(-1)?.seq });
      const storeQuery: BarePage = async (after) => page((await pool.query<{ seq: string }>(STORE_CHANGES_POSTGRES, [SCOPE, FEED, after, PAGE])).rows);
      const baseline: BarePage = async (after) =>
        page((await pool.query<{ seq: string }>(`SELECT ${STORE_COLUMNS} FROM bench_feed WHERE seq > $1 ORDER BY seq LIMIT $2`, [after, PAGE])).rows);
      pulls.push(await pullCase({ key: "postgres", instance, seedMs, storeQuery, baseline }, progress));
    }

    progress("server: where the time goes: fingerprintOf alone; PostgreSQL writes on tables never analyzed");
    const fingerprintUsPerWrite = await fingerprintCost();
    const probe = await statisticsProbe(admin, await schema("bench_probe"), "bench_probe", progress);

    return {
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      settings: {
        clients: CLIENTS,
        batchSize: BATCH,
        batchesPerClientPerRound: BATCHES_PER_CLIENT,
        rounds: ROUNDS,
        warmupRounds: WARMUP_ROUNDS,
        pullChanges: PULL_CHANGES,
        pageSize: PAGE,
        pullRounds: PULL_ROUNDS,
        itemBytes: ITEM_BYTES,
      },
      environment: {
        node: process.versions.node,
        cpus: cpus().length,
        sqlite: sqlite.version,
        sqliteSynchronous: sqlite.synchronous,
        postgres: postgresVersion,
        postgresSettings,
      },
      writes,
      pulls,
      fingerprintUsPerWrite,
      statisticsProbe: probe,
    };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => progress(`server: cleanup failed: ${String(error)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

const int = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "n/a");
const times = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "n/a");
const us = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const cores = (x: number | null): string => (x === null || !Number.isFinite(x) ? "-" : `${Math.round(x * 100)}%`);
const range = (s: Spread, format: (x: number) => string): string => `${format(s.min)}-${format(s.max)}`;

export function formatServerLibSection(r: ServerLibResult): string {
  const s = r.settings;
  const e = r.environment;
  const pad = (lines: string[]) => lines.map((l) => `   ${l}`);
  const writeRows = r.writes.map((w) => [
    w.label,
    String(w.feeds),
    int(w.handler.median),
    range(w.handler, int),
    int(w.baseline.median),
    range(w.baseline, int),
    times(w.ratio.median),
    range(w.ratio, times),
  ]);
  const timeRows = r.writes.map((w) => [
    w.label,
    us(1e6 / w.handler.median),
    us(1e6 / w.direct.median),
    us(1e6 / w.baseline.median),
    `${cores(w.cpu.handler.node)} / ${cores(w.cpu.handler.postgres)}`,
    `${cores(w.cpu.direct.node)} / ${cores(w.cpu.direct.postgres)}`,
    `${cores(w.cpu.baseline.node)} / ${cores(w.cpu.baseline.postgres)}`,
  ]);
  const storeName = (p: PullCaseResult) => (p.key === "sqlite" ? "SQLite (WAL file)" : "PostgreSQL");
  const pullRows = r.pulls.map((p) => [
    storeName(p),
    int(p.handler.median),
    range(p.handler, int),
    int(p.baseline.median),
    range(p.baseline, int),
    times(p.ratio.median),
    range(p.ratio, times),
  ]);
  const pageMs = (rate: number): string => (Number.isFinite(rate) ? ((1000 * s.pageSize) / rate).toFixed(2) : "n/a");
  const pullTimeRows = r.pulls.map((p) => [
    storeName(p),
    pageMs(p.handler.median),
    pageMs(p.readChanges.median),
    pageMs(p.storeQuery.median),
    pageMs(p.baseline.median),
  ]);
  const overlaps = r.writes
    .filter((w) => w.overlap)
    .map((w) => `${w.label}: ${int(w.overlap!.overlapped)} of ${int(w.overlap!.requests)} (${Math.round((100 * w.overlap!.overlapped) / w.overlap!.requests)}%)`);
  const sqliteCase = r.writes.find((w) => w.key === "sqlite");
  const p = r.statisticsProbe;
  return [
    `6. SERVER LIBRARY (createSyncHandler over node:http on 127.0.0.1 vs bare SQL on the same database; section ${(r.durationMs / 1000).toFixed(1)} s)`,
    `   Node ${e.node}, ${e.cpus} CPUs, clients and servers in this one process; SQLite ${e.sqlite} (WAL, synchronous=${e.sqliteSynchronous} on the store's and the baseline's connections);` +
      ` PostgreSQL ${e.postgres}, private cluster (${Object.entries(e.postgresSettings).map(([k, v]) => `${k}=${v}`).join(", ")})`,
    `   writes: ${s.clients} client loops, 1 batch in flight each, POST _batch of ${s.batchSize} creates (PUT, ifNoneMatch "*", items of ${s.itemBytes} B of JSON);`,
    `   ${s.clients} × ${s.batchesPerClientPerRound} batches = ${int(s.clients * s.batchesPerClientPerRound * s.batchSize)} writes per variant per round, ${s.warmupRounds} warm-up + ${s.rounds} rounds,` +
      " variants in rotating order, each case on a fresh file or schema; PostgreSQL tables ANALYZEd after the warm-up",
    "   baseline: the same rows (scope, collection, id, version, updated_at, deleted, value JSON text, seq) into a table keyed and indexed like",
    "   synclens_records, one transaction per batch, same loops; SQLite: prepared INSERTs in BEGIN IMMEDIATE..COMMIT (better-sqlite3, own connection);",
    `   PostgreSQL: one multi-row INSERT ... SELECT FROM unnest($3::text[], ...) per batch, autocommitted (pg Pool of ${s.clients}). No idempotency keys, no feed row.`,
    "",
    ...pad(table(["case (writes)", "feeds", "handler w/s", "range", "baseline w/s", "range", "handler/baseline", "range"], writeRows)),
    "   (w/s: writes per second, median over rounds; ratios taken round by round, median and [min-max])",
    "",
    "   Where the time goes: µs per write (1 / throughput) through the handler, through applyWrites() on the same store(s) without HTTP",
    "   (\"store only\"), and bare; CPU busy while each ran, as a share of one core (node: this process, clients included / postgres: all its processes)",
    ...pad(table(["case", "handler µs", "store only µs", "bare µs", "CPU handler", "CPU store only", "CPU bare"], timeRows)),
    `   fingerprintOf alone (SHA-256 through node:crypto, ${s.batchSize} at once as applyWrites runs them): ${us(r.fingerprintUsPerWrite)} µs per write` +
      (sqliteCase ? ` (${Math.round((100 * r.fingerprintUsPerWrite * sqliteCase.direct.median) / 1e6)}% of SQLite's store-only time)` : ""),
    ...(overlaps.length ? [`   two instances, requests that arrived while the other instance was handling one: ${overlaps.join("; ")}`] : []),
    `   PostgreSQL store on tables never analyzed (autovacuum off on them; applyWrites, 1 loop, 1 feed): ${us(p.startMs)} ms per batch at the start,` +
      ` ${us(p.atRowsMs)} ms at ${int(p.atRows)} rows in the feed, ${us(p.analyzedMs)} ms after ANALYZE (medians of ${p.batches} batches)`,
    "",
    `   pull: ${int(s.pullChanges)} changes in one feed (seeded with applyWrites), read to the end, ${s.warmupRounds} warm-up + ${s.pullRounds} rounds, rotating order;`,
    `   handler: GET _changes?since=<cursor>&limit=${s.pageSize} over HTTP, each page parsed by the client; baseline: SELECT ${STORE_COLUMNS}`,
    `   FROM bench_feed WHERE seq > $1 ORDER BY seq LIMIT ${s.pageSize} (the same rows copied into a table keyed by seq)`,
    "",
    ...pad(table(["store (pull)", "handler ch/s", "range", "baseline ch/s", "range", "handler/baseline", "range"], pullRows)),
    `   (ch/s: changes per second, median over rounds; seeding took ${r.pulls.map((q) => `${q.key} ${(q.seedMs / 1000).toFixed(1)} s`).join(", ")})`,
    "",
    `   Where the time goes: ms per page of ${s.pageSize} (1 / throughput) through the handler over HTTP, through readChanges() on the same store`,
    "   without HTTP (the store's query, rows made records, the cursor), the store's own SELECT on synclens_records run bare (scope, collection,",
    "   seq > $n, through its feed index: (scope, collection, seq) on SQLite, (feed, seq) on PostgreSQL), and the baseline",
    ...pad(table(["store", "handler ms", "readChanges ms", "store's query ms", "baseline ms"], pullTimeRows)),
    "",
  ].join("\n");
}
