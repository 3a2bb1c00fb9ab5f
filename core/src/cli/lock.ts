/**
 * The instance lock: `<data>/arizuko.lock` holds the pid of the instance serving that
 * data folder. A second `arizuko start` on the same folder is refused, and the CLI
 * knows to talk to the running instance instead of opening the database itself.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { errors } from "../errors.js";

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

/** Returns the pid of the live instance serving `dataDir`, or null. */
export function runningInstance(dataDir: string): number | null {
  let text: string;
  try {
    text = readFileSync(join(dataDir, LOCK_FILE), "utf8");
  } catch {
    return null;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  return isArizuko(pid) ? pid : null;
}

/** Takes the lock for this process; a stale lock (dead pid) is taken over. Returns the release function. */
export function acquireLock(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  const holder = runningInstance(dataDir);
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
