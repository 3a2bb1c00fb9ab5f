/**
 * The messages table: inbound rows from channels, outbound rows from agents and the
 * host, in one total order (`seq`). Inbound rows are unique on (chat, platform id,
 * kind); an inbound row is `pending` with no route layer until intake decides it.
 */
import type {
  ActivityEntry,
  EnrichedFile,
  ActivityQuery,
  Attachment,
  InboundMessage,
  MessageKind,
  MessageQuery,
  MessageState,
  RunUnit,
  SenderRole,
  StoredMessage,
  Verb,
} from "@arizuko/sdk";
import { parseChatJid } from "@arizuko/sdk";
import { newId } from "../ids.js";
import type { Statement } from "better-sqlite3";
import type { Db } from "./db.js";

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
export const MAX_ACTIVITY_LIMIT = 200;

/** SQL for the delivery state of an outbound message, summed up from its outbox rows; null when it has none. */
const DELIVERY_SUMMARY = `(SELECT CASE WHEN count(*) = 0 THEN NULL WHEN sum(state = 'failed') > 0 THEN 'failed'
  WHEN sum(state IN ('queued', 'sending')) > 0 THEN 'sending' ELSE 'delivered' END FROM outbox WHERE message_seq = messages.seq)`;

interface MessageRow {
  seq: number;
  id: string;
  chat: string;
  platform_id: string;
  kind: MessageKind;
  direction: "in" | "out";
  verb: Verb | null;
  sender: string;
  sender_name: string | null;
  text: string;
  topic: string;
  reply_to: string | null;
  target: string | null;
  attachments: string | null;
  state: MessageState;
  group_folder: string | null;
  route_topic: string | null;
  run_id: string | null;
  route_layer: string | null;
  route_reason: string | null;
  notes: string | null;
  files?: string | null;
  sender_role?: SenderRole | null;
  route_text: string | null;
  origin_chat: string | null;
  origin_topic: string | null;
  origin_message: string | null;
  depth: number;
  ts: number;
  stored_at: number;
}

/** A stored message plus the columns only the core reads. */
export interface MessageRecord extends StoredMessage {
  notes: string[];
  /** Attachments as enrichment left them; empty when no enricher ran. */
  files: EnrichedFile[];
  /** The role the host vouches for (a scheduled task's creator's), or null: the sender's role applies. */
  role: SenderRole | null;
}

export interface InsertResult {
  id: string;
  seq: number;
  duplicate: boolean;
  /** The stored row, for a new message (so callers need not read it back). */
  record: MessageRecord | null;
}

export interface Decision {
  state: MessageState;
  group: string | null;
  routeTopic: string;
  layer: string;
  reason: string;
  notes?: string[];
  files?: EnrichedFile[];
  /** Text the agent sees, when a layer stripped a prefix. */
  routeText?: string | null;
}

/** A message the host writes on a sender's behalf: a delegation, a command's follow-up, a scheduled task's prompt. */
export interface DerivedRow {
  chat: string;
  /** Platform thread, the one the message it derives from came in. */
  topic: string;
  /** Session topic routing starts from, when it is not the platform thread (`/new #name text`). */
  routeTopic?: string;
  /** Unique within the chat, built from the original's platform id. */
  platformId: string;
  sender: string;
  senderName: string | null;
  text: string;
  replyTo: string | null;
  origin: { chat: string; topic: string; message: string } | null;
  depth: number;
  /** The role its run acts with, vouched for by the host (a scheduled task's creator's). */
  role?: SenderRole;
}

export interface OutboundRow {
  chat: string;
  /** Platform thread to send into. */
  topic: string;
  /** Topic of the session that wrote it (a `#name` topic lives in the platform thread it came from); default `topic`. */
  routeTopic?: string;
  kind: "message" | "notice";
  sender: string;
  text: string;
  group: string | null;
  runId: string | null;
  replyTo: string | null;
  attachments?: Attachment[] | null;
}

function toRecord(row: MessageRow): MessageRecord {
  return {
    seq: row.seq,
    id: row.id,
    chat: row.chat,
    platformId: row.platform_id,
    kind: row.kind,
    direction: row.direction,
    verb: row.verb,
    sender: row.sender,
    senderName: row.sender_name,
    text: row.text,
    topic: row.topic,
    replyTo: row.reply_to,
    target: row.target,
    attachments: row.attachments ? (JSON.parse(row.attachments) as Attachment[]) : [],
    state: row.state,
    group: row.group_folder,
    runId: row.run_id,
    routeLayer: row.route_layer,
    routeReason: row.route_reason,
    ts: row.ts,
    storedAt: row.stored_at,
    routeTopic: row.route_topic,
    notes: row.notes ? (JSON.parse(row.notes) as string[]) : [],
    files: row.files ? (JSON.parse(row.files) as EnrichedFile[]) : [],
    role: row.sender_role ?? null,
    routeText: row.route_text,
    origin: row.origin_chat !== null ? { chat: row.origin_chat, topic: row.origin_topic ?? "", message: row.origin_message ?? "" } : null,
    depth: row.depth,
  };
}

export class MessageStore {
  private readonly statements;
  private readonly activityStatements = new Map<string, Statement>();

  constructor(private readonly db: Db) {
    this.statements = {
      // Writes only for a new chat or a changed name: an unchanged row costs no page write.
      ensureChat: db.prepare(
        "INSERT INTO chats (jid, platform, name, created_at, direct) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT (jid) DO UPDATE SET name = excluded.name WHERE excluded.name IS NOT NULL AND chats.name IS NOT excluded.name",
      ),
      isDirect: db.prepare("SELECT direct FROM chats WHERE jid = ?"),
      failures: db.prepare(
        `SELECT chat, count(*) AS failed, max(stored_at) AS lastAt FROM messages
         WHERE state = 'failed' AND stored_at >= ? GROUP BY chat ORDER BY lastAt DESC LIMIT 20`,
      ),
      byPlatformId: db.prepare("SELECT * FROM messages WHERE chat = ? AND platform_id = ? AND kind = 'message'"),
      byDeliveredId: db.prepare(
        `SELECT messages.* FROM outbox JOIN messages ON messages.seq = outbox.message_seq
         WHERE outbox.chat = ? AND outbox.platform_message_id = ? LIMIT 1`,
      ),
      insertDerived: db.prepare(
        `INSERT INTO messages (id, chat, platform_id, kind, direction, verb, sender, sender_name, text, topic, reply_to,
           state, route_topic, origin_chat, origin_topic, origin_message, depth, sender_role, ts, stored_at)
         VALUES (@id, @chat, @platform_id, 'message', 'in', 'message', @sender, @sender_name, @text, @topic, @reply_to,
           'pending', @route_topic, @origin_chat, @origin_topic, @origin_message, @depth, @sender_role, @now, @now)
         ON CONFLICT (chat, platform_id, kind) DO NOTHING
         RETURNING seq`,
      ),
      insert: db.prepare(
        `INSERT INTO messages (id, chat, platform_id, kind, direction, verb, sender, sender_name, text, topic,
           reply_to, target, attachments, state, group_folder, route_topic, run_id, route_layer, route_reason, ts, stored_at)
         VALUES (@id, @chat, @platform_id, @kind, @direction, @verb, @sender, @sender_name, @text, @topic,
           @reply_to, @target, @attachments, @state, @group_folder, @route_topic, @run_id, @route_layer, @route_reason, @ts, @stored_at)
         ON CONFLICT (chat, platform_id, kind) DO NOTHING
         RETURNING seq, id`,
      ),
      existing: db.prepare("SELECT seq, id FROM messages WHERE chat = ? AND platform_id = ? AND kind = ?"),
      bySeq: db.prepare("SELECT * FROM messages WHERE seq = ?"),
      byId: db.prepare("SELECT * FROM messages WHERE chat = ? AND id = ?"),
      recent: db.prepare("SELECT * FROM (SELECT * FROM messages WHERE chat = ? AND seq < ? ORDER BY seq DESC LIMIT ?) ORDER BY seq"),
      deliveredIds: db.prepare(
        "SELECT platform_message_id AS id FROM outbox WHERE message_seq = ? AND state = 'delivered' ORDER BY chunk_index",
      ),
      list: db.prepare("SELECT * FROM messages WHERE chat = ? AND seq > ? ORDER BY seq LIMIT ?"),
      writtenBy: db.prepare("SELECT * FROM messages WHERE run_id = ? AND direction = 'out' ORDER BY seq"),
      platforms: db.prepare("SELECT DISTINCT platform FROM chats ORDER BY platform"),
      unrouted: db.prepare(
        "SELECT * FROM messages WHERE state = 'pending' AND route_layer IS NULL ORDER BY seq",
      ),
      withdraw: db.prepare(
        "UPDATE messages SET state = 'done', route_reason = ? WHERE seq = ? AND state = 'pending' AND route_layer IS NOT NULL",
      ),
      decide: db.prepare(
        `UPDATE messages SET state = @state, group_folder = @group_folder, route_topic = @route_topic,
           route_layer = @route_layer, route_reason = @route_reason, notes = @notes, files = @files, route_text = @route_text WHERE seq = @seq`,
      ),
      pendingUnits: db.prepare(
        `SELECT DISTINCT group_folder AS "group", chat, route_topic AS topic FROM messages
         WHERE state = 'pending' AND route_layer IS NOT NULL`,
      ),
      pendingForUnit: db.prepare(
        `SELECT * FROM messages WHERE state = 'pending' AND route_layer IS NOT NULL
           AND group_folder = ? AND chat = ? AND route_topic = ? ORDER BY seq LIMIT ?`,
      ),
      hasPending: db.prepare(
        `SELECT 1 FROM messages WHERE state = 'pending' AND route_layer IS NOT NULL
           AND group_folder = ? AND chat = ? AND route_topic = ? LIMIT 1`,
      ),
      context: db.prepare(
        `SELECT * FROM (
           SELECT * FROM messages WHERE chat = ? AND route_topic = ? AND seq > ?
             AND state = 'context' ORDER BY seq DESC LIMIT ?
         ) ORDER BY seq`,
      ),
    };
  }

  /**
   * Inserts inbound messages; call inside a transaction (the group commit). A row
   * whose (chat, platform id, kind) exists is left alone and reported as a duplicate.
   */
  insertInbound(message: InboundMessage, now: number): InsertResult {
    const chat = parseChatJid(message.chat);
    this.statements.ensureChat.run(message.chat, chat.platform, message.chatName ?? null, now, message.direct ? 1 : 0);

    const kind = message.kind ?? "message";
    const topic = message.topic ?? "";
    const row: MessageRow = {
      seq: 0,
      id: newId("msg"),
      chat: message.chat,
      platform_id: message.platformId,
      kind,
      direction: "in",
      verb: message.verb,
      sender: message.sender,
      sender_name: message.senderName ?? null,
      text: message.text,
      topic,
      reply_to: message.replyTo ?? null,
      target: message.target ?? null,
      attachments: message.attachments?.length ? JSON.stringify(message.attachments) : null,
      state: message.context === undefined ? "pending" : "context",
      group_folder: null,
      route_topic: message.context === undefined ? null : topic,
      run_id: null,
      route_layer: message.context === undefined ? null : "channel",
      route_reason: message.context ?? null,
      notes: null,
      ts: message.ts ?? now,
      stored_at: now,
      route_text: null,
      origin_chat: null,
      origin_topic: null,
      origin_message: null,
      depth: 0,
    };
    const { seq: _unassigned, notes: _none, route_text: _text, origin_chat: _chat, origin_topic: _topic, origin_message: _message, depth: _depth, ...values } = row;
    const inserted = this.statements.insert.get(values) as { seq: number; id: string } | undefined;
    if (inserted) return { id: inserted.id, seq: inserted.seq, duplicate: false, record: toRecord({ ...row, seq: inserted.seq }) };

    const existing = this.statements.existing.get(message.chat, message.platformId, kind) as { seq: number; id: string };
    return { ...existing, duplicate: true, record: null };
  }

  /** Inserts an agent reply chunk or a host notice; stored as `context`, never queued. */
  insertOutbound(row: OutboundRow, now: number): MessageRecord {
    const chat = parseChatJid(row.chat);
    this.statements.ensureChat.run(row.chat, chat.platform, null, now, 0);
    const id = newId("msg");
    const inserted = this.statements.insert.get({
      id,
      chat: row.chat,
      platform_id: `arizuko:${id}`,
      kind: row.kind,
      direction: "out",
      verb: null,
      sender: row.sender,
      sender_name: null,
      text: row.text,
      topic: row.topic,
      reply_to: row.replyTo,
      target: null,
      attachments: row.attachments?.length ? JSON.stringify(row.attachments) : null,
      state: "context",
      group_folder: row.group,
      route_topic: row.routeTopic ?? row.topic,
      run_id: row.runId,
      route_layer: null,
      route_reason: null,
      ts: now,
      stored_at: now,
    }) as { seq: number };
    return this.bySeq(inserted.seq)!;
  }

  /** Stores a message the host writes for a sender (delegation, follow-up); null when it exists already. */
  insertDerived(row: DerivedRow, now: number): MessageRecord | null {
    // A scheduled task may write into a chat that has no messages yet.
    this.statements.ensureChat.run(row.chat, parseChatJid(row.chat).platform, null, now, 0);
    const inserted = this.statements.insertDerived.get({
      id: newId("msg"),
      chat: row.chat,
      platform_id: row.platformId,
      sender: row.sender,
      sender_name: row.senderName,
      text: row.text,
      topic: row.topic,
      reply_to: row.replyTo,
      route_topic: row.routeTopic ?? null,
      origin_chat: row.origin?.chat ?? null,
      origin_topic: row.origin?.topic ?? null,
      origin_message: row.origin?.message ?? null,
      depth: row.depth,
      sender_role: row.role ?? null,
      now,
    }) as { seq: number } | undefined;
    return inserted ? this.bySeq(inserted.seq) : null;
  }

  /**
   * The message a platform id refers to in `chat`: a message someone sent with that id,
   * or a reply whose delivery got it (reply chains follow these).
   */
  findByPlatformId(chat: string, platformId: string): MessageRecord | null {
    const row = (this.statements.byPlatformId.get(chat, platformId) ?? this.statements.byDeliveredId.get(chat, platformId)) as MessageRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Marks a routed message no run has taken yet as done with `reason`; false when it is not pending. */
  withdraw(seq: number, reason: string): boolean {
    return this.statements.withdraw.run(reason, seq).changes === 1;
  }

  /** Chats with failed messages stored since `since`, newest first, at most 20. */
  failures(since: number): Array<{ chat: string; failed: number; lastAt: number }> {
    return this.statements.failures.all(since) as Array<{ chat: string; failed: number; lastAt: number }>;
  }

  isDirectChat(chat: string): boolean {
    return (this.statements.isDirect.get(chat) as { direct: number } | undefined)?.direct === 1;
  }

  bySeq(seq: number): MessageRecord | null {
    const row = this.statements.bySeq.get(seq) as MessageRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Finds a message of `chat` by its arizuko id. */
  byId(chat: string, id: string): MessageRecord | null {
    const row = this.statements.byId.get(chat, id) as MessageRow | undefined;
    return row ? toRecord(row) : null;
  }

  /** Returns the newest `limit` messages of `chat` before `beforeSeq`, oldest first. */
  recent(chat: string, limit: number, beforeSeq = Number.MAX_SAFE_INTEGER): MessageRecord[] {
    return (this.statements.recent.all(chat, beforeSeq, limit) as MessageRow[]).map(toRecord);
  }

  /**
   * Messages in and out across chats, newest first, for the dashboard's Activity list.
   * Each combination of filters gets its own statement, so SQLite can use the chat index.
   */
  activity(query: ActivityQuery): Array<MessageRecord & ActivityEntry> {
    const terms = ["seq < @before"];
    if (query.platform !== undefined) terms.push("chat IN (SELECT jid FROM chats WHERE platform = @platform)");
    if (query.chat !== undefined) terms.push("chat = @chat");
    if (query.group !== undefined) terms.push("group_folder = @group");
    const sql = `SELECT *, ${DELIVERY_SUMMARY} AS delivery FROM messages WHERE ${terms.join(" AND ")} ORDER BY seq DESC LIMIT @limit`;
    let statement = this.activityStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.activityStatements.set(sql, statement);
    }
    const params = {
      before: query.beforeSeq ?? Number.MAX_SAFE_INTEGER,
      limit: Math.min(Math.max(1, query.limit), MAX_ACTIVITY_LIMIT),
      ...(query.platform !== undefined && { platform: query.platform }),
      ...(query.chat !== undefined && { chat: query.chat }),
      ...(query.group !== undefined && { group: query.group }),
    };
    return (statement.all(params) as Array<MessageRow & { delivery: ActivityEntry["delivery"] }>).map((row) => ({ ...toRecord(row), delivery: row.delivery }));
  }

  /** Returns the outbound messages a run wrote, in order. */
  writtenBy(runId: string): MessageRecord[] {
    return (this.statements.writtenBy.all(runId) as MessageRow[]).map(toRecord);
  }

  /** Platforms that have chats. */
  platforms(): string[] {
    return (this.statements.platforms.all() as Array<{ platform: string }>).map((row) => row.platform);
  }

  /** Platform ids the delivered chunks of an outbound message got, in chunk order. */
  deliveredIds(seq: number): string[] {
    return (this.statements.deliveredIds.all(seq) as Array<{ id: string }>).map((row) => row.id);
  }

  list(query: MessageQuery): MessageRecord[] {
    const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIST_LIMIT), MAX_LIST_LIMIT);
    const rows = this.statements.list.all(query.chat, query.afterSeq ?? 0, limit) as MessageRow[];
    return rows.map(toRecord);
  }

  /** Inbound rows committed but not yet admitted and routed (a crash can leave some). */
  unrouted(): MessageRecord[] {
    return (this.statements.unrouted.all() as MessageRow[]).map(toRecord);
  }

  decide(seq: number, decision: Decision): void {
    this.statements.decide.run({
      seq,
      state: decision.state,
      group_folder: decision.group,
      route_topic: decision.routeTopic,
      route_layer: decision.layer,
      route_reason: decision.reason,
      notes: decision.notes?.length ? JSON.stringify(decision.notes) : null,
      files: decision.files?.length ? JSON.stringify(decision.files) : null,
      route_text: decision.routeText ?? null,
    });
  }

  /** Units that have routed messages waiting for a run. */
  pendingUnits(): RunUnit[] {
    return this.statements.pendingUnits.all() as RunUnit[];
  }

  pendingForUnit(unit: RunUnit, limit: number): MessageRecord[] {
    const rows = this.statements.pendingForUnit.all(unit.group, unit.chat, unit.topic, limit) as MessageRow[];
    return rows.map(toRecord);
  }

  hasPending(unit: RunUnit): boolean {
    return this.statements.hasPending.get(unit.group, unit.chat, unit.topic) !== undefined;
  }

  /**
   * The unit's `context` rows stored after `afterSeq` (the last seq a run of the unit
   * saw): chatter, earlier replies, notices. The newest `limit` of them, oldest first.
   */
  context(unit: RunUnit, afterSeq: number, limit: number): MessageRecord[] {
    if (limit <= 0) return [];
    const rows = this.statements.context.all(unit.chat, unit.topic, afterSeq, limit) as MessageRow[];
    return rows.map(toRecord);
  }
}
