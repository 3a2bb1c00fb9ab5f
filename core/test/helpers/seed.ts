/**
 * Rows written straight into the store at chosen times, for tests of what ages out:
 * messages (with a received file on disk), outbox rows, runs and tool calls.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Kernel } from "../../src/kernel.js";

export const DAY = 86_400_000;

export interface SeedMessage {
  chat?: string;
  group: string | null;
  /** The message's time, ms since the epoch. */
  ts: number;
  sender?: string;
  direction?: "in" | "out";
  state?: "pending" | "running" | "done" | "failed" | "context";
  /** A received file to write under the group folder, as media-whisper stores it. */
  file?: string;
  runId?: string;
  originChat?: string;
}

let counter = 0;

/** Inserts a message (and its chat and file); returns its seq. */
export function seedMessage(kernel: Kernel, message: SeedMessage): number {
  const db = kernel.store.db;
  const chat = message.chat ?? "test:bot/c1";
  db.prepare("INSERT OR IGNORE INTO chats (jid, platform, created_at) VALUES (?, ?, ?)").run(chat, chat.split(":")[0], message.ts);
  let files: string | null = null;
  if (message.file !== undefined && message.group !== null) {
    const path = join(kernel.groups.path(message.group), message.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, "bytes");
    files = JSON.stringify([{ name: "photo.jpg", mime: "image/jpeg", size: 5, path: message.file }]);
  }
  counter += 1;
  const row = db
    .prepare(
      `INSERT INTO messages (id, chat, platform_id, kind, direction, sender, text, state, group_folder, files, run_id, origin_chat, ts, stored_at)
       VALUES (@id, @chat, @platformId, 'message', @direction, @sender, @text, @state, @group, @files, @runId, @originChat, @ts, @ts) RETURNING seq`,
    )
    .get({
      id: `m${counter}`,
      chat,
      platformId: `p${counter}`,
      direction: message.direction ?? "in",
      sender: message.sender ?? "test:alice",
      text: `message ${counter}`,
      state: message.state ?? "done",
      group: message.group,
      files,
      runId: message.runId ?? null,
      originChat: message.originChat ?? null,
      ts: message.ts,
    }) as { seq: number };
  return row.seq;
}

/** Inserts an outbox row for a message. */
export function seedOutbox(kernel: Kernel, seq: number, state: "queued" | "sending" | "delivered" | "failed", at: number): void {
  counter += 1;
  kernel.store.db
    .prepare(
      `INSERT INTO outbox (id, message_seq, chat, text, chunk_index, chunk_count, state, created_at, updated_at)
       SELECT ?, seq, chat, text, 0, 1, ?, ?, ? FROM messages WHERE seq = ?`,
    )
    .run(`o${counter}`, state, at, at, seq);
}

/** Inserts a run with one tool call; `endedAt` null leaves it running. */
export function seedRun(kernel: Kernel, run: { id: string; group: string; chat?: string; startedAt: number; endedAt: number | null }): void {
  const db = kernel.store.db;
  db.prepare(
    `INSERT INTO runs (id, group_folder, chat, state, runner, started_at, ended_at) VALUES (?, ?, ?, ?, 'process', ?, ?)`,
  ).run(run.id, run.group, run.chat ?? "test:bot/c1", run.endedAt === null ? "running" : "done", run.startedAt, run.endedAt);
  db.prepare(
    `INSERT INTO tool_calls (id, run_id, group_folder, tool, params_digest, verdict, duration_ms, created_at) VALUES (?, ?, ?, 'send', 'x', 'ok', 1, ?)`,
  ).run(`tc-${run.id}`, run.id, run.group, run.startedAt);
}

/** Returns the seqs of the messages left, in order. */
export function messageSeqs(kernel: Kernel): number[] {
  return (kernel.store.db.prepare("SELECT seq FROM messages ORDER BY seq").all() as Array<{ seq: number }>).map((row) => row.seq);
}
