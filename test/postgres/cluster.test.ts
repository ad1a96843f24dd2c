import pg from "pg";
import { describe, expect, inject, it } from "vitest";

describe("the test run's PostgreSQL", () => {
  it("is a real server on 127.0.0.1 with a throwaway database of this run, which takes writes in transactions", async () => {
    const url = inject("postgresUrl");
    expect(url, "PostgreSQL is not installed: node scripts/setup.mjs --postgres (npm test does it)").not.toBe("");
    expect(url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/synclens_test_\d+_[a-z0-9]+$/);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const { rows } = await pool.query<{ server_version_num: string }>("SHOW server_version_num");
      expect(Number(rows[0]!.server_version_num)).toBeGreaterThanOrEqual(150000);
      await pool.query("CREATE TABLE probe (id text PRIMARY KEY, n integer NOT NULL)");
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("INSERT INTO probe VALUES ('a', 1)");
        await client.query("ROLLBACK");
      } finally {
        client.release();
      }
      await pool.query("INSERT INTO probe VALUES ('b', 2)");
      expect((await pool.query("SELECT id FROM probe ORDER BY id")).rows).toEqual([{ id: "b" }]);
    } finally {
      await pool.end();
    }
  });
});
