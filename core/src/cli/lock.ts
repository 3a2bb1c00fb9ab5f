/**
 * The instance lock: `<data>/arizuko.lock` holds the pid of the instance serving that
 * data folder. A second `arizuko start` on the same folder is refused, and the CLI
 * knows to talk to the running instance instead of opening the database itself.
 *
 * A pid means nothing in another pid namespace: in containers that share the data
 * folder, every arizuko is pid 1. So when the pid is this process's own or names no
 * process here, an admin socket that accepts a connection still counts as a live
 * instance.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { errors } from "../errors.js";
import { adminSocketPath } from "./admin-socket.js";

export const LOCK_FILE = "arizuko.lock";

/** True when `pid` is a live process that looks like arizuko (guards against pid reuse). */
function isArizuko(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("arizuko");
  } catch {
    return true; // no /proc (not Linux): trust the pid
  }
}

/** How long a connection to the admin socket may take before the instance counts as gone. */
const SOCKET_PROBE_TIMEOUT_MS = 2_000;

/** Resolves true when something accepts connections on the admin socket of `dataDir`. */
function adminSocketAnswers(dataDir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(adminSocketPath(dataDir));
    const finish = (answers: boolean) => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(SOCKET_PROBE_TIMEOUT_MS, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

/**
 * Returns the pid of the live instance serving `dataDir` (as its own pid namespace
 * numbers it), or null.
 * NOTE: an instance that is still booting has no admin socket yet, so another pid
 * namespace sees its lock as stale until start-up reaches the socket.
 */
export async function runningInstance(dataDir: string): Promise<number | null> {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LOCK_FILE), "utf8");
  } catch {
    return null;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (pid !== process.pid && isArizuko(pid)) return pid;
  return (await adminSocketAnswers(dataDir)) ? pid : null;
}

/** Takes the lock for this process; a stale lock (dead pid) is taken over. Returns the release function. */
export async function acquireLock(dataDir: string): Promise<() => void> {
  const file = join(dataDir, LOCK_FILE);
  const holder = await runningInstance(dataDir);
  if (holder !== null) throw errors.instanceRunning(dataDir, holder);

  mkdirSync(dataDir, { recursive: true });
  rmSync(file, { force: true });
  const fd = openSync(file, "wx", 0o600);
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);

  return () => {
    try {
      if (readFileSync(file, "utf8").trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}
