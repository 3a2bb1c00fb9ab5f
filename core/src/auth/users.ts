/**
 * User accounts: a unique username (case-insensitive), an argon2id password hash and a
 * role. Operators may use the admin API and, later, the dashboard.
 */
import type { Database } from "better-sqlite3";
import { newId } from "../ids.js";
import type { Role } from "./access-tokens.js";

export interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: number;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
  role: Role;
  created_at: number;
}

/** Letters, digits and `._-`, starting with a letter or digit, up to 64 characters. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const toUser = (row: UserRow): User => ({ id: row.id, username: row.username, role: row.role, createdAt: row.created_at });

export class Users {
  constructor(private readonly db: Database) {}

  /** Adds a user; throws when the name is taken in any case. */
  add(username: string, passwordHash: string, role: Role): User {
    const row: UserRow = { id: newId("usr"), username, password_hash: passwordHash, role, created_at: Date.now() };
    this.db.prepare("INSERT INTO users (id, username, password_hash, role, created_at) VALUES (@id, @username, @password_hash, @role, @created_at)").run(row);
    return toUser(row);
  }

  /** Returns the user with this name in any case, with the password hash, or null. */
  byName(username: string): (User & { passwordHash: string | null }) | null {
    const row = this.db.prepare("SELECT * FROM users WHERE username = ?").get(username) as UserRow | undefined;
    return row ? { ...toUser(row), passwordHash: row.password_hash } : null;
  }

  byId(id: string): User | null {
    const row = this.db.prepare("SELECT * FROM users WHERE id = ?").get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  /** True when at least one account exists. */
  any(): boolean {
    return this.db.prepare("SELECT 1 FROM users LIMIT 1").get() !== undefined;
  }

  list(): User[] {
    return (this.db.prepare("SELECT * FROM users ORDER BY username").all() as UserRow[]).map(toUser);
  }

  setPassword(id: string, passwordHash: string): void {
    this.db.prepare("UPDATE users SET password_hash = ? WHERE id = ?").run(passwordHash, id);
  }

  setRole(id: string, role: Role): void {
    this.db.prepare("UPDATE users SET role = ? WHERE id = ?").run(role, id);
  }

  /** Removes a user and, with the foreign key, their refresh tokens; false when there is none. */
  remove(id: string): boolean {
    return this.db.prepare("DELETE FROM users WHERE id = ?").run(id).changes > 0;
  }
}
