/** Reads an instance's database through a second, read-only connection, as an operator's sqlite3 would. */
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.js";

/** Runs `sql` on `<dataDir>/arizuko.db` and returns its rows. */
export function queryData<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = openDatabase(join(dataDir, "arizuko.db"), { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
