/**
 * Web chat ownership. A chat belongs to one owner: a visitor id (`v_…`, the browser's
 * cookie) or a user id (`usr_…`). Callers reply 404 to everyone else, the same status
 * as for a chat that does not exist, so probing names reveals nothing.
 *
 * Chats of signed-in users and of share-link visitors are bound to a group; the
 * routing tap sends their messages there. Open-mode chats have no group.
 */
import type { Database } from "better-sqlite3";

/** Chats remembered in memory; a chat never changes owner or group, so entries only age out. */
export const OWNER_CACHE_SIZE = 10_000;

export interface WebChat {
  chat: string;
  owner: string;
  group: string | null;
  shareLink: string | null;
  createdAt: number;
}

interface ChatRow {
  chat: string;
  owner: string;
  group_folder: string | null;
  share_link: string | null;
  created_at: number;
}

const toChat = (row: ChatRow): WebChat => ({ chat: row.chat, owner: row.owner, group: row.group_folder, shareLink: row.share_link, createdAt: row.created_at });

export class WebChats {
  private readonly statements;
  private readonly cache = new Map<string, WebChat>();

  constructor(db: Database) {
    this.statements = {
      insert: db.prepare(
        "INSERT INTO web_chats (chat, owner, group_folder, share_link, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat) DO NOTHING",
      ),
      get: db.prepare("SELECT * FROM web_chats WHERE chat = ?"),
      ofOwner: db.prepare("SELECT * FROM web_chats WHERE owner = ? ORDER BY created_at"),
      ofShare: db.prepare("SELECT * FROM web_chats WHERE owner = ? AND share_link = ? ORDER BY created_at LIMIT 1"),
    };
  }

  get(chat: string): WebChat | null {
    const known = this.cache.get(chat);
    if (known) return known;
    const row = this.statements.get.get(chat) as ChatRow | undefined;
    if (!row) return null;
    return this.remember(toChat(row));
  }

  /**
   * Creates `chat` for `owner` unless it exists; returns the chat as stored, which
   * belongs to someone else when the name was taken.
   */
  create(chat: string, owner: string, group: string | null = null, shareLink: string | null = null): WebChat {
    // Read first: only a new chat needs a write (and so can meet a locked database).
    const existing = this.get(chat);
    if (existing) return existing;
    this.statements.insert.run(chat, owner, group, shareLink, Date.now());
    return this.get(chat)!;
  }

  /** Claims `chat` for `owner` in the open mode; returns true when `owner` owns it. */
  claim(chat: string, owner: string): boolean {
    return this.create(chat, owner).owner === owner;
  }

  ofOwner(owner: string): WebChat[] {
    return (this.statements.ofOwner.all(owner) as ChatRow[]).map(toChat);
  }

  /** Returns the chat a visitor opened through a share link, or null. */
  ofShare(owner: string, shareLink: string): WebChat | null {
    const row = this.statements.ofShare.get(owner, shareLink) as ChatRow | undefined;
    return row ? toChat(row) : null;
  }

  /** Chats held in memory (at most OWNER_CACHE_SIZE). */
  get cached(): number {
    return this.cache.size;
  }

  private remember(chat: WebChat): WebChat {
    if (this.cache.size >= OWNER_CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(chat.chat, chat);
    return chat;
  }
}
