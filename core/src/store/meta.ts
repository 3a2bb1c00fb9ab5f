/** Instance facts kept in the `meta` table. */
import type { Db } from "./db.js";

export class MetaStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      get: db.prepare("SELECT value FROM meta WHERE key = ?"),
      set: db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    };
  }

  get(key: string): string | null {
    const row = this.statements.get.get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  set(key: string, value: string): void {
    this.statements.set.run(key, value);
  }
}
