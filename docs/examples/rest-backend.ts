// A client of a conventional REST backend (json-server, Rails, Django REST framework): creates are POSTs,
// updates PUTs, deletes DELETEs, ids are the client's, and other devices' writes come in by listing.
import { createSyncClient } from "synclens";
import { restTransport } from "synclens/transports";

export interface Todo {
  id: string;
  title: string;
  done?: boolean;
}

export function todosOverRest(baseUrl: string, token: () => Promise<string>) {
  return createSyncClient<Todo>({
    name: "todos",
    endpoint: `${baseUrl}/todos`,
    transport: restTransport<Todo>({
      url: `${baseUrl}/todos`,
      headers: async () => ({ Authorization: `Bearer ${await token()}` }),
      list: true,
    }),
  });
}
