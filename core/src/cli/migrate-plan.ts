/**
 * `arizuko migrate --dry-run`: the migrations of the core and of every configured plugin
 * that the next start (or `arizuko migrate`) would apply, read from the database's
 * ledger without changing anything. Runs before any host opens the store, since opening
 * it applies them.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { coreMigrationsDir } from "../assets.js";
import type { ResolvedConfig } from "../config/load.js";
import { migrationsDir } from "../plugins/migrations-dir.js";
import { loadPlugins } from "../plugins/loader.js";
import { openDatabase } from "../store/db.js";
import { MIGRATIONS_TABLE } from "../store/migrate.js";
import { DATABASE_FILE } from "../store/db.js";

/** Returns the `.sql` files of `dir` whose names the ledger has no row for under `owner`. */
function pendingOf(applied: Set<string>, owner: string, dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith(".sql") && !applied.has(`${owner}/${file}`))
    .sort()
    .map((file) => `${owner}/${file}`);
}

/** Reads the ledger read-only; a database that does not exist yet has applied nothing. */
function appliedMigrations(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  const db = openDatabase(file, { readonly: true });
  try {
    const ledger = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(MIGRATIONS_TABLE);
    if (!ledger) return new Set();
    const rows = db.prepare(`SELECT owner, name FROM ${MIGRATIONS_TABLE}`).all() as Array<{ owner: string; name: string }>;
    return new Set(rows.map((row) => `${row.owner}/${row.name}`));
  } finally {
    db.close();
  }
}

/** Lists the pending migrations, core first, then each plugin in config order. */
export async function pendingMigrations(resolved: ResolvedConfig): Promise<{ file: string; pending: string[] }> {
  const file = join(resolved.dataDir, DATABASE_FILE);
  const applied = appliedMigrations(file);
  const { plugins } = await loadPlugins(resolved.config.plugins, resolved.baseDir);

  const pending = pendingOf(applied, "core", coreMigrationsDir());
  for (const plugin of plugins) {
    if (plugin.definition.migrations) pending.push(...pendingOf(applied, plugin.definition.name, migrationsDir(plugin.definition.migrations)));
  }
  return { file, pending };
}

export function formatPlan({ file, pending }: { file: string; pending: string[] }): string {
  if (pending.length === 0) return `nothing to apply; database ${file} is up to date`;
  const what = existsSync(file) ? `database ${file}` : `the new database ${file}`;
  return [`${pending.length} migration${pending.length === 1 ? "" : "s"} would run on ${what} at the next start or \`arizuko migrate\`:`, ...pending.map((name) => `  ${name}`)].join("\n");
}
