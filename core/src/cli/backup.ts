/**
 * `arizuko backup [file]`: a consistent copy of the database while the instance keeps
 * running, through SQLite's online backup API. Writers go on during the copy, and the
 * copy is the state at its end. Group folders (persona, memory, media) are plain files
 * beside it and are copied with any file tool.
 */
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { ArizukoError, type CliCommand } from "@arizuko/sdk";
import type { Database } from "better-sqlite3";
import { GROUPS_FOLDER } from "../groups/groups.js";

/** `20261205-183000`, in UTC, for default backup names. */
function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

export function defaultBackupFile(dataDir: string, now = new Date()): string {
  return join(dataDir, "backups", `arizuko-${stamp(now)}.db`);
}

/**
 * Copies `db` to `file` (absolute; the CLI resolves a relative one against its own
 * working folder before it reaches a running instance). The copy goes to a temporary
 * name first, so an interrupted backup never leaves a half file under the real name.
 */
export async function backupDatabase(db: Database, file: string): Promise<{ pages: number; bytes: number; ms: number }> {
  if (!isAbsolute(file)) throw new ArizukoError("ARZ_ERR_USAGE", `backup file ${JSON.stringify(file)} must be an absolute path`, { statusCode: 400 });
  if (existsSync(file)) throw new ArizukoError("ARZ_ERR_USAGE", `${file} exists already; give a new file name, or remove the old backup first`, { statusCode: 409 });

  // The copy contains password hashes, tokens and every message, so only arizuko's user may read it.
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  const started = Date.now();
  try {
    writeFileSync(partial, "", { mode: 0o600 });
    const { totalPages } = await db.backup(partial);
    chmodSync(partial, 0o600);
    renameSync(partial, file);
    return { pages: totalPages, bytes: statSync(file).size, ms: Date.now() - started };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

export function backupCommand(db: () => Database, dataDir: string): CliCommand {
  return {
    name: "backup",
    description: "copy the database while arizuko runs (default: <data>/backups/arizuko-<UTC time>.db)",
    arguments: [{ name: "file", description: "where to write the copy; a new file", required: false }],
    run: async ({ args }) => {
      const file = (args[0] as string | undefined) ?? defaultBackupFile(dataDir);
      const { pages, bytes, ms } = await backupDatabase(db(), file);
      const size = (bytes / 1024 / 1024).toFixed(1);
      return `backed up the database to ${file} (${pages} pages, ${size} MiB) in ${ms} ms; also copy ${join(dataDir, GROUPS_FOLDER)}, which holds the group folders`;
    },
  };
}
