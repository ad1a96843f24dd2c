// The protocol in your own Node app: the handler mounted in Express beside the app's routes, on PostgreSQL,
// one scope per signed-in team.
import express from "express";
import { getRequestListener } from "@hono/node-server";
import { createSyncHandler } from "synclens/server";
import { postgresStore } from "synclens/server/postgres";

export function appWithSync(connectionString: string, teamOf: (authorization: string | null) => string | null) {
  const store = postgresStore({ connectionString });
  const app = express();
  app.use(
    "/sync",
    getRequestListener(
      createSyncHandler({
        store,
        authenticate: (request) => {
          const team = teamOf(request.headers.get("authorization"));
          return team === null ? null : { scope: team };
        },
      }),
    ),
  );
  app.get("/health", (_request, response) => void response.json({ ok: true }));
  return { app, close: () => store.close() };
}
