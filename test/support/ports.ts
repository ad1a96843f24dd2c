import { createServer, type AddressInfo } from "node:net";

/** A port of 127.0.0.1 free right now (the OS picks it; a later listener may still take it first). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
