/**
 * Topics of a web chat: separate conversations (and agent sessions) inside one chat,
 * each with a title the user can change. A topic's id is the thread its messages carry;
 * the chat's main thread is the empty id, titled "General".
 */
import { randomBytes } from "node:crypto";
import type { Database } from "better-sqlite3";

export const TOPIC_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
export const MAIN_TOPIC_TITLE = "General";

export interface WebTopic {
  topic: string;
  title: string;
  createdAt: number;
}

export class WebTopics {
  private readonly statements;

  constructor(db: Database) {
    this.statements = {
      insert: db.prepare("INSERT INTO web_topics (chat, topic, title, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"),
      rename: db.prepare("UPDATE web_topics SET title = ? WHERE chat = ? AND topic = ?"),
      list: db.prepare("SELECT topic, title, created_at AS createdAt FROM web_topics WHERE chat = ? ORDER BY created_at, topic"),
      get: db.prepare("SELECT topic, title, created_at AS createdAt FROM web_topics WHERE chat = ? AND topic = ?"),
    };
  }

  /** The chat's topics, the main thread first. */
  list(chat: string): WebTopic[] {
    const rows = this.statements.list.all(chat) as WebTopic[];
    const main = rows.find((row) => row.topic === "") ?? { topic: "", title: MAIN_TOPIC_TITLE, createdAt: 0 };
    return [main, ...rows.filter((row) => row.topic !== "")];
  }

  create(chat: string, title: string): WebTopic {
    const topic: WebTopic = { topic: `t_${randomBytes(6).toString("base64url")}`, title, createdAt: Date.now() };
    this.statements.insert.run(chat, topic.topic, topic.title, topic.createdAt);
    return topic;
  }

  /** Records a topic a message used without creating it first, titled by its id. */
  remember(chat: string, topic: string): void {
    if (topic !== "") this.statements.insert.run(chat, topic, topic, Date.now());
  }

  /** Renames a topic (the main one too); returns null when the chat has no such topic. */
  rename(chat: string, topic: string, title: string): WebTopic | null {
    if (topic === "") this.statements.insert.run(chat, "", title, 0);
    if (this.statements.rename.run(title, chat, topic).changes === 0) return null;
    return this.statements.get.get(chat, topic) as WebTopic;
  }
}
