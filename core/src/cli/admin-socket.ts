/**
 * The admin socket: `<data>/admin.sock`, mode 0600, so only the user running arizuko
 * can use it. The CLI sends one JSON line `{ "argv": [...] }` and reads one JSON line
 * back, the `CliResult` of running that command line inside the instance.
 */
import { chmodSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import type { Logger } from "pino";
import { errors } from "../errors.js";
import type { CliResult } from "./program.js";

export const ADMIN_SOCKET = "admin.sock";
/** Largest request accepted on the socket, in bytes. */
const MAX_REQUEST_BYTES = 65_536;
/** How long the CLI waits for an answer; long enough for `group add` on a slow disk. */
const CLIENT_TIMEOUT_MS = 60_000;

export function adminSocketPath(dataDir: string): string {
  return join(dataDir, ADMIN_SOCKET);
}

export type CommandRunner = (argv: string[]) => Promise<CliResult>;

export async function listenAdminSocket(dataDir: string, run: CommandRunner, log: Logger): Promise<Server> {
  const path = adminSocketPath(dataDir);
  rmSync(path, { force: true });

  const server = createServer((socket) => {
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("error", (error) => log.debug({ err: error }, "admin socket client error"));
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES) {
        socket.end(JSON.stringify({ exitCode: 2, stdout: "", stderr: "request too large\n" }) + "\n");
        return;
      }
      const newline = buffer.indexOf("\n");
      if (newline < 0) return;
      void answer(buffer.slice(0, newline)).then((result) => socket.end(JSON.stringify(result) + "\n"));
    });
  });

  const answer = async (line: string): Promise<CliResult> => {
    let argv: unknown;
    try {
      argv = (JSON.parse(line) as { argv?: unknown }).argv;
    } catch {
      argv = undefined;
    }
    if (!Array.isArray(argv) || !argv.every((item) => typeof item === "string")) {
      return { exitCode: 2, stdout: "", stderr: 'expected one JSON line {"argv": ["command", ...]}\n' };
    }
    log.info({ argv }, "admin command");
    return run(argv as string[]);
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  return server;
}

/** Sends `argv` to the instance listening in `dataDir` and returns its result. */
export function sendAdminCommand(dataDir: string, argv: string[]): Promise<CliResult> {
  const path = adminSocketPath(dataDir);
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = "";
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${CLIENT_TIMEOUT_MS} ms`)), CLIENT_TIMEOUT_MS);
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify({ argv }) + "\n"));
    socket.on("data", (chunk: string) => {
      buffer += chunk;
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(errors.adminUnavailable(path, error.message));
    });
    socket.on("end", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buffer) as CliResult);
      } catch {
        reject(errors.adminUnavailable(path, "the answer was not JSON"));
      }
    });
  });
}
