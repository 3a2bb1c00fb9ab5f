/** The route_sticky_pins table: one row per chat with a pinned group, topic, or both. */
import type { Database } from "better-sqlite3";

export interface Pin {
  group: string | null;
  topic: string | null;
}

export class Pins {
  private readonly statements;

  constructor(db: Database) {
    this.statements = {
      get: db.prepare("SELECT group_folder, topic FROM route_sticky_pins WHERE chat = ?"),
      setGroup: db.prepare(
        `INSERT INTO route_sticky_pins (chat, group_folder, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (chat) DO UPDATE SET group_folder = excluded.group_folder, updated_at = excluded.updated_at`,
      ),
      setTopic: db.prepare(
        `INSERT INTO route_sticky_pins (chat, topic, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (chat) DO UPDATE SET topic = excluded.topic, updated_at = excluded.updated_at`,
      ),
      prune: db.prepare("DELETE FROM route_sticky_pins WHERE chat = ? AND group_folder IS NULL AND topic IS NULL"),
    };
  }

  get(chat: string): Pin {
    const row = this.statements.get.get(chat) as { group_folder: string | null; topic: string | null } | undefined;
    return { group: row?.group_folder ?? null, topic: row?.topic ?? null };
  }

  /** Pins `chat` to `group`, or clears the group pin with null. */
  setGroup(chat: string, group: string | null): void {
    this.statements.setGroup.run(chat, group, Date.now());
    this.statements.prune.run(chat);
  }

  /** Pins `chat` to `topic`, or clears the topic pin with null. */
  setTopic(chat: string, topic: string | null): void {
    this.statements.setTopic.run(chat, topic, Date.now());
    this.statements.prune.run(chat);
  }
}
