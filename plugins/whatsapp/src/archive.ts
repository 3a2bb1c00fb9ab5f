/**
 * Recent WhatsApp messages of one account as Baileys gave them, sealed at rest: a quoted
 * reply needs the quoted message's content, a reaction its key, a download its media
 * keys, and a recipient's device may ask for a message again. Also the newest message
 * time per chat, which separates a replayed old message from a new one.
 */
import type { Database } from "better-sqlite3";
import { BufferJSON, toNumber, type WAMessage } from "baileys";
import { sealerFor } from "./sealed.js";

export interface Archive {
  put(message: WAMessage): void;
  /** The message with this id, or null when it is unknown or pruned. */
  get(id: string): WAMessage | null;
  /** The newest message time (ms) seen in a chat, or 0. */
  newest(chat: string): number;
  /** Records that a chat had a message at `ts` (ms); keeps the largest. */
  advance(chat: string, ts: number): void;
  /** Forgets messages older than `ms` before now; returns how many. */
  prune(ms: number): number;
}

/** Returns a message's platform time in ms since the epoch (WhatsApp keeps seconds). */
export function timestampOf(message: WAMessage): number {
  return toNumber(message.messageTimestamp ?? 0) * 1000;
}

export function openArchive(db: Database, account: string, authKey: string): Archive {
  const sealer = sealerFor(authKey, account);
  const insert = db.prepare("INSERT INTO whatsapp_messages (account, id, ts, value) VALUES (?, ?, ?, ?) ON CONFLICT (account, id) DO UPDATE SET value = excluded.value, ts = excluded.ts");
  const select = db.prepare("SELECT value FROM whatsapp_messages WHERE account = ? AND id = ?").pluck();
  const selectNewest = db.prepare("SELECT newest_ts FROM whatsapp_chats WHERE account = ? AND chat = ?").pluck();
  const upsertNewest = db.prepare(
    "INSERT INTO whatsapp_chats (account, chat, newest_ts) VALUES (?, ?, ?) ON CONFLICT (account, chat) DO UPDATE SET newest_ts = max(newest_ts, excluded.newest_ts)",
  );
  const deleteOld = db.prepare("DELETE FROM whatsapp_messages WHERE account = ? AND ts < ?");

  return {
    put(message) {
      const id = message.key.id;
      if (!id) return;
      insert.run(account, id, timestampOf(message) || Date.now(), sealer.seal(JSON.stringify(message, BufferJSON.replacer), `${account}/message/${id}`));
    },
    get(id) {
      const sealed = select.get(account, id) as Buffer | undefined;
      if (sealed === undefined) return null;
      try {
        return JSON.parse(sealer.open(sealed, `${account}/message/${id}`), BufferJSON.reviver) as WAMessage;
      } catch {
        // Sealed under an earlier authKey: as good as pruned.
        return null;
      }
    },
    newest: (chat) => (selectNewest.get(account, chat) as number | undefined) ?? 0,
    advance: (chat, ts) => void upsertNewest.run(account, chat, ts),
    prune: (ms) => deleteOld.run(account, Date.now() - ms).changes,
  };
}
