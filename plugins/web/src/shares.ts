/**
 * Share links: a public link to one group. Each browser that opens it gets a visitor
 * cookie and a chat of its own with that group. Revoking the link closes those chats. Only the
 * sha256 of a link's token is stored, so the link is shown once, when it is made.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "better-sqlite3";

export interface ShareLink {
  id: string;
  group: string;
  note: string | null;
  createdAt: number;
  revokedAt: number | null;
}

interface ShareRow {
  id: string;
  group_folder: string;
  note: string | null;
  created_at: number;
  revoked_at: number | null;
}

/** 32 random bytes (256 bits), so guessing a token is out of reach whatever the rate limit. */
const TOKEN_BYTES = 32;
export const TOKEN_PATTERN = /^sl_[A-Za-z0-9_-]{43}$/;

const digestOf = (token: string) => createHash("sha256").update(token).digest("hex");
const toShare = (row: ShareRow): ShareLink => ({ id: row.id, group: row.group_folder, note: row.note, createdAt: row.created_at, revokedAt: row.revoked_at });

export class ShareLinks {
  private readonly statements;

  constructor(db: Database) {
    this.statements = {
      insert: db.prepare("INSERT INTO web_share_links (id, digest, group_folder, note, created_at) VALUES (?, ?, ?, ?, ?)"),
      byDigest: db.prepare("SELECT * FROM web_share_links WHERE digest = ?"),
      byId: db.prepare("SELECT * FROM web_share_links WHERE id = ?"),
      list: db.prepare("SELECT * FROM web_share_links ORDER BY created_at"),
      revoke: db.prepare("UPDATE web_share_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),
    };
  }

  /** Makes a link to `group`; the token is returned here and never again. */
  create(group: string, note: string | null): { share: ShareLink; token: string } {
    const token = `sl_${randomBytes(TOKEN_BYTES).toString("base64url")}`;
    const id = `share_${randomBytes(6).toString("hex")}`;
    const now = Date.now();
    this.statements.insert.run(id, digestOf(token), group, note, now);
    return { share: { id, group, note, createdAt: now, revokedAt: null }, token };
  }

  /** Returns the live link a token opens, or null for an unknown or revoked one. */
  open(token: string): ShareLink | null {
    if (!TOKEN_PATTERN.test(token)) return null;
    const row = this.statements.byDigest.get(digestOf(token)) as ShareRow | undefined;
    return row && row.revoked_at === null ? toShare(row) : null;
  }

  /** True while the link with this id exists and is not revoked. */
  live(id: string): boolean {
    const row = this.statements.byId.get(id) as ShareRow | undefined;
    return row !== undefined && row.revoked_at === null;
  }

  get(id: string): ShareLink | null {
    const row = this.statements.byId.get(id) as ShareRow | undefined;
    return row ? toShare(row) : null;
  }

  list(): ShareLink[] {
    return (this.statements.list.all() as ShareRow[]).map(toShare);
  }

  /** Revokes a link; false when it does not exist or was revoked already. */
  revoke(id: string): boolean {
    return this.statements.revoke.run(Date.now(), id).changes > 0;
  }
}
