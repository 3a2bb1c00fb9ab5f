/**
 * The loopback shim: the Claude Code process reaches its model by URL
 * (`ANTHROPIC_BASE_URL`), but the host's model proxy listens on a unix socket. The
 * shim listens on 127.0.0.1 inside the agent's own network namespace (a container with
 * `--network none` still has loopback) and pipes each connection to the socket
 * unchanged, so the proxy still checks every request.
 */
import { connect, createServer, type Socket } from "node:net";

export interface Shim {
  /** `http://127.0.0.1:<port>`, for ANTHROPIC_BASE_URL. */
  url: string;
  close(): Promise<void>;
}

export async function startShim(socketPath: string): Promise<Shim> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(socketPath);
    open.add(client).add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    client.pipe(upstream).pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
