/**
 * Accounts at sign-in providers linked to users. One provider account signs in one
 * user; a user may link several (GitHub and Telegram, say).
 */
import type { Database } from "better-sqlite3";

export interface LinkedIdentity {
  provider: string;
  subject: string;
  userId: string;
  name: string | null;
}

export class Identities {
  constructor(private readonly db: Database) {}

  /** Returns the identity of `provider` with `subject`, or null when no user has linked it. */
  find(provider: string, subject: string): LinkedIdentity | null {
    const row = this.db.prepare("SELECT provider, subject, user_id AS userId, name FROM user_identities WHERE provider = ? AND subject = ?").get(provider, subject);
    return (row as LinkedIdentity | undefined) ?? null;
  }

  link(provider: string, subject: string, userId: string, name: string | null): void {
    this.db.prepare("INSERT INTO user_identities (provider, subject, user_id, name, created_at) VALUES (?, ?, ?, ?, ?)").run(provider, subject, userId, name, Date.now());
  }

  ofUser(userId: string): LinkedIdentity[] {
    return this.db.prepare("SELECT provider, subject, user_id AS userId, name FROM user_identities WHERE user_id = ? ORDER BY provider").all(userId) as LinkedIdentity[];
  }

  unlink(provider: string, userId: string): boolean {
    return this.db.prepare("DELETE FROM user_identities WHERE provider = ? AND user_id = ?").run(provider, userId).changes > 0;
  }
}
