/**
 * The outbox: one row per platform message to send, `queued → sending → delivered |
 * failed`. Rows of one chat are sent in order (message seq, then chunk index); a row
 * is never sent before `not_before`.
 */
import type { OutboundChunk, OutboundFile } from "@arizuko/sdk";
import { newId } from "../ids.js";
import type { Db } from "./db.js";

export type OutboxState = "queued" | "sending" | "delivered" | "failed";

export interface OutboxRecord {
  id: string;
  messageSeq: number;
  messageId: string;
  chat: string;
  topic: string;
  replyTo: string | null;
  text: string;
  index: number;
  count: number;
  state: OutboxState;
  attempts: number;
  notBefore: number;
  platformMessageId: string | null;
  error: string | null;
  file: OutboundFile | null;
}

interface OutboxRow {
  id: string;
  message_seq: number;
  message_id: string;
  chat: string;
  topic: string;
  reply_to: string | null;
  text: string;
  chunk_index: number;
  chunk_count: number;
  state: OutboxState;
  attempts: number;
  not_before: number;
  platform_message_id: string | null;
  error: string | null;
  file: string | null;
}

export interface NewChunk {
  messageSeq: number;
  chat: string;
  topic: string;
  replyTo: string | null;
  text: string;
  index: number;
  count: number;
  file?: OutboundFile | null;
}

const SELECT = `SELECT outbox.*, messages.id AS message_id FROM outbox JOIN messages ON messages.seq = outbox.message_seq`;

function toRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    messageSeq: row.message_seq,
    messageId: row.message_id,
    chat: row.chat,
    topic: row.topic,
    replyTo: row.reply_to,
    text: row.text,
    index: row.chunk_index,
    count: row.chunk_count,
    state: row.state,
    attempts: row.attempts,
    notBefore: row.not_before,
    platformMessageId: row.platform_message_id,
    error: row.error,
    file: row.file ? (JSON.parse(row.file) as OutboundFile) : null,
  };
}

export function toChunk(record: OutboxRecord): OutboundChunk {
  return {
    outboxId: record.id,
    messageId: record.messageId,
    chat: record.chat,
    topic: record.topic,
    text: record.text,
    replyTo: record.replyTo,
    index: record.index,
    count: record.count,
    attempts: record.attempts,
    ...(record.file && { file: record.file }),
  };
}

export class OutboxStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO outbox (id, message_seq, chat, topic, reply_to, text, chunk_index, chunk_count, file, state, created_at, updated_at)
         VALUES (@id, @message_seq, @chat, @topic, @reply_to, @text, @chunk_index, @chunk_count, @file, 'queued', @now, @now)`,
      ),
      // The head of a chat's queue: the oldest row not yet delivered or failed.
      head: db.prepare(`${SELECT} WHERE outbox.chat = ? AND outbox.state IN ('queued', 'sending')
         ORDER BY outbox.message_seq, outbox.chunk_index LIMIT 1`),
      setState: db.prepare("UPDATE outbox SET state = ?, updated_at = ? WHERE id = ?"),
      // A failed attempt's error stays after a later success: the dashboard's trace shows it.
      delivered: db.prepare("UPDATE outbox SET state = 'delivered', platform_message_id = ?, updated_at = ? WHERE id = ?"),
      retry: db.prepare(
        "UPDATE outbox SET state = 'queued', attempts = ?, not_before = ?, error = ?, updated_at = ? WHERE id = ?",
      ),
      failed: db.prepare("UPDATE outbox SET state = 'failed', attempts = ?, error = ?, updated_at = ? WHERE id = ?"),
      openChats: db.prepare("SELECT DISTINCT chat FROM outbox WHERE state IN ('queued', 'sending')"),
    };
  }

  /** Queues the chunks of one outbound message; call inside the transaction that stored it. */
  enqueue(chunks: NewChunk[], now: number): string[] {
    return chunks.map((chunk) => {
      const id = newId("out");
      this.statements.insert.run({
        id,
        message_seq: chunk.messageSeq,
        chat: chunk.chat,
        topic: chunk.topic,
        reply_to: chunk.replyTo,
        text: chunk.text,
        chunk_index: chunk.index,
        chunk_count: chunk.count,
        file: chunk.file ? JSON.stringify(chunk.file) : null,
        now,
      });
      return id;
    });
  }

  /** The next row to send in `chat`, in order, whatever its `not_before`. */
  head(chat: string): OutboxRecord | null {
    const row = this.statements.head.get(chat) as OutboxRow | undefined;
    return row ? toRecord(row) : null;
  }

  markSending(id: string, now: number): void {
    this.statements.setState.run("sending", now, id);
  }

  markDelivered(id: string, platformMessageId: string, now: number): void {
    this.statements.delivered.run(platformMessageId, now, id);
  }

  /** Puts a row back in the queue until `notBefore`. */
  reschedule(id: string, attempts: number, notBefore: number, error: string | null, now: number): void {
    this.statements.retry.run(attempts, notBefore, error, now, id);
  }

  markFailed(id: string, attempts: number, error: string, now: number): void {
    this.statements.failed.run(attempts, error, now, id);
  }

  /** Chats with rows still to send. */
  openChats(): string[] {
    return (this.statements.openChats.all() as Array<{ chat: string }>).map((row) => row.chat);
  }
}
