/**
 * Refresh tokens: random strings the client keeps, stored here only as sha256 digests.
 * A sign-in starts a family; each refresh marks the presented token used and issues
 * the next one of the family. A used or revoked token presented again means someone
 * copied it, so the whole family is revoked and both holders must sign in again.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";

const digestOf = (token: string) => createHash("sha256").update(token).digest("base64url");

interface TokenRow {
  digest: string;
  family: string;
  user_id: string;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}

export type Rotation = { ok: true; userId: string; token: string } | { ok: false; reason: string; reused?: { userId: string; family: string } };

/**
 * A used token presented again this soon is taken for a second tab refreshing at the
 * same moment, not for a copy: it is refused without revoking the sign-in.
 */
export const REUSE_GRACE_MS = 10_000;

export class RefreshTokens {
  constructor(
    private readonly db: Database,
    private readonly ttlMs: number,
  ) {}

  /** Starts a family for a new sign-in and returns its first token. */
  start(userId: string): string {
    return this.insert(userId, randomUUID());
  }

  private insert(userId: string, family: string): string {
    const token = `rt_${randomBytes(32).toString("base64url")}`;
    const now = Date.now();
    this.db.prepare("INSERT INTO refresh_tokens (digest, family, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(digestOf(token), family, userId, now, now + this.ttlMs);
    return token;
  }

  /** Uses `token` and returns the next one of its family; a reused token revokes the family. */
  rotate(token: string): Rotation {
    return this.db.transaction((): Rotation => {
      const row = this.db.prepare("SELECT * FROM refresh_tokens WHERE digest = ?").get(digestOf(token)) as TokenRow | undefined;
      const now = Date.now();
      if (!row) return { ok: false, reason: "unknown refresh token; sign in again" };
      if (row.revoked_at !== null) return { ok: false, reason: "this sign-in has ended (signed out, or revoked); sign in again" };
      if (row.used_at !== null && now - row.used_at < REUSE_GRACE_MS) {
        return { ok: false, reason: "this refresh token was used a moment ago (another tab?); retry with the new one" };
      }
      if (row.used_at !== null) {
        this.revokeFamily(row.family, now);
        return { ok: false, reason: "this refresh token was already used, so every session of its sign-in is revoked; sign in again", reused: { userId: row.user_id, family: row.family } };
      }
      if (row.expires_at <= now) return { ok: false, reason: "the refresh token has expired; sign in again" };

      this.db.prepare("UPDATE refresh_tokens SET used_at = ? WHERE digest = ?").run(now, row.digest);
      return { ok: true, userId: row.user_id, token: this.insert(row.user_id, row.family) };
    })();
  }

  /** Revokes the family of `token` (sign-out); false for an unknown token. */
  revoke(token: string): boolean {
    const row = this.db.prepare("SELECT family FROM refresh_tokens WHERE digest = ?").get(digestOf(token)) as { family: string } | undefined;
    if (!row) return false;
    this.revokeFamily(row.family, Date.now());
    return true;
  }

  /** Ends every sign-in of a user, e.g. after a password change; returns how many tokens it revoked. */
  revokeUser(userId: string): number {
    return this.db.prepare("UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL").run(Date.now(), userId).changes;
  }

  private revokeFamily(family: string, now: number): void {
    this.db.prepare("UPDATE refresh_tokens SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL").run(now, family);
  }

  /** Deletes tokens past their expiry; returns how many. */
  prune(): number {
    return this.db.prepare("DELETE FROM refresh_tokens WHERE expires_at < ?").run(Date.now()).changes;
  }
}
