/**
 * The admin socket: `<data>/admin.sock`, mode 0600, so only the user running arizuko
 * can use it. The CLI sends one JSON line `{ "argv": [...] }` and reads JSON lines
 * back: `{ "progress": text }` for each thing the command prints while it runs, then
 * the `CliResult` of running that command line inside the instance.
 */
import { chmodSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server } from "node:net";
import { join } from "node:path";
import type { Logger } from "pino";
import { errors } from "../errors.js";
import type { CliResult, ProgressSink } from "./program.js";

export const ADMIN_SOCKET = "admin.sock";
/** Largest request accepted on the socket, in bytes. */
const MAX_REQUEST_BYTES = 65_536;
/**
 * How long the CLI waits for the next line of a response; long enough for `group add` on a
 * slow disk. A long command (a login waiting for a phone) prints progress to keep it alive.
 */
const CLIENT_IDLE_TIMEOUT_MS = 60_000;

export function adminSocketPath(dataDir: string): string {
  return join(dataDir, ADMIN_SOCKET);
}

export type CommandRunner = (argv: string[], print: ProgressSink) => Promise<CliResult>;

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
      const print: ProgressSink = (text) => {
        if (socket.writable) socket.write(JSON.stringify({ progress: text }) + "\n");
      };
      void answer(buffer.slice(0, newline), print).then((result) => socket.end(JSON.stringify(result) + "\n"));
    });
  });

  const answer = async (line: string, print: ProgressSink): Promise<CliResult> => {
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
    return run(argv as string[], print);
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

/**
 * Sends `argv` to the instance listening in `dataDir` and returns its result; what the
 * command prints while it runs goes to `print` as it arrives.
 */
export function sendAdminCommand(dataDir: string, argv: string[], print: ProgressSink = () => {}): Promise<CliResult> {
  const path = adminSocketPath(dataDir);
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = "";
    let result: CliResult | null = null;
    socket.setTimeout(CLIENT_IDLE_TIMEOUT_MS, () => socket.destroy(new Error(`no response within ${CLIENT_IDLE_TIMEOUT_MS} ms`)));
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(JSON.stringify({ argv }) + "\n"));
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        const message = parseLine(line);
        if (message && typeof message.progress === "string") print(message.progress);
        else if (message && typeof message.exitCode === "number") result = message as unknown as CliResult;
      }
    });
    socket.on("error", (error) => reject(errors.adminUnavailable(path, error.message)));
    socket.on("end", () => {
      if (result) resolve(result);
      else reject(errors.adminUnavailable(path, "the answer was not JSON"));
    });
  });
}

function parseLine(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
