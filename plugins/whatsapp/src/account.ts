/**
 * One linked WhatsApp account as a channel: `whatsapp:<phone>/` chats. It keeps one
 * Baileys socket open, reconnects with backoff, and stores what WhatsApp pushes: live
 * messages (`notify`), the offline queue and our own echoes (`append`), and the history
 * the phone sends after linking. Baileys acknowledges a message to WhatsApp before
 * emitting it, so storing is retried here rather than lost on a passing store error.
 * Linking itself (QR or pairing code) is in link.ts.
 */
import type { Channel, ChannelContext, InboundMessage, MessagesApi, OutboundChunk, OutboundFile, RateLimits, SendResult } from "@arizuko/sdk";
import { chatJid, isRejectedMessage, senderJid, Transient } from "@arizuko/sdk";
import type { Database } from "better-sqlite3";
import {
  downloadMediaMessage,
  generateMessageIDV2,
  getContentType,
  isJidBroadcast,
  isJidGroup,
  isJidNewsletter,
  isLidUser,
  isPnUser,
  jidDecode,
  jidNormalizedUser,
  normalizeMessageContent,
  proto,
  type AnyMessageContent,
  type GroupMetadata,
  type WAMessage,
  type WAMessageKey,
} from "baileys";
import type { Logger } from "pino";
import { openArchive, timestampOf, type Archive } from "./archive.js";
import { sendFailure, statusOf } from "./errors.js";
import { toWhatsApp } from "./format.js";
import type { PendingLink } from "./link.js";
import { baileysLogger } from "./logger.js";
import { readMessage, toInbound, type Me } from "./normalise.js";
import { backoffMs, onClose } from "./reconnect.js";
import { openSession, type Session } from "./session.js";
import type { SocketFactory, WaSocket } from "./socket.js";

export interface AccountSettings {
  /** The account's phone number, digits with country code. */
  phone: string;
  /** WhatsApp JIDs of chats taken (`…@g.us`, `…@s.whatsapp.net`); empty takes every chat not denied. */
  allowChats: string[];
  denyChats: string[];
}

export interface AccountOptions {
  connect: SocketFactory;
  db: Database;
  authKey: string;
  log: Logger;
  messages: MessagesApi;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  typingRefreshMs: number;
  rateLimits: RateLimits;
  /** How long WhatsApp is waited for at start before the channel reports its state and goes on. */
  startTimeoutMs: number;
}

/** Maximum text length of one sent message; WhatsApp accepts more, but long walls of text read badly on a phone. */
const MAX_TEXT = 4096;
/** Ids of our own sends remembered, so their echo is recognised. */
const REMEMBERED_SENDS = 5000;
/** Attempts to store one message before it is logged as lost; Baileys has already acknowledged it. */
const STORE_ATTEMPTS = 5;
const STORE_RETRY_MS = 1000;

type Source = "notify" | "append" | "history";

const CONTEXT: Record<string, string> = {
  history: "history WhatsApp sent when the account was linked",
  own: "sent from the account's own phone",
  replayed: "replayed by WhatsApp after a reconnect; older than the chat's newest message",
};

/** The account has no linked session in the store. */
export class NotLinked extends Error {
  constructor(phone: string) {
    super(`WhatsApp account ${phone} is not linked: stop arizuko, run \`arizuko whatsapp login ${phone}\`, then start arizuko again`);
    this.name = "NotLinked";
  }
}

export class WhatsAppAccount {
  readonly phone: string;
  readonly prefix: string;
  readonly session: Session;
  readonly archive: Archive;
  readonly channel: Channel;
  private socket: WaSocket | null = null;
  private open = false;
  private stopping = false;
  private context: ChannelContext | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private work: Promise<void> = Promise.resolve();
  private readonly sent = new Set<string>();
  /** LID user → phone JID, learned from the `*Alt` fields of messages. */
  private readonly phoneOfLid = new Map<string, string>();
  private readonly groups = new Map<string, GroupMetadata>();
  private firstOutcome: ((error?: Error) => void) | null = null;
  /** A link in progress (link.ts), shown on the dashboard panel; null otherwise. */
  pendingLink: PendingLink | null = null;

  constructor(
    readonly settings: AccountSettings,
    private readonly options: AccountOptions,
  ) {
    this.phone = settings.phone;
    this.prefix = `whatsapp:${settings.phone}/`;
    this.session = openSession(options.db, settings.phone, options.authKey);
    this.archive = openArchive(options.db, settings.phone, options.authKey);
    this.channel = this.makeChannel();
  }

  get log(): Logger {
    return this.context?.log ?? this.options.log;
  }

  /** True while a socket is open to WhatsApp. */
  get connected(): boolean {
    return this.open;
  }

  /** True between the channel's start and stop: a link made now is taken up at once. */
  get running(): boolean {
    return this.context !== null && !this.stopping;
  }

  private makeChannel(): Channel {
    return {
      name: `whatsapp:${this.phone}`,
      prefixes: [this.prefix],
      capabilities: {
        send: true,
        reply: true,
        sendFile: true,
        typing: true,
        typingRefreshMs: this.options.typingRefreshMs,
        edit: true,
        delete: true,
        react: true,
        maxTextLength: MAX_TEXT,
        rateLimits: this.options.rateLimits,
      },
      start: (ctx) => this.start(ctx),
      stop: () => this.stop(),
      send: (chunk) => this.sendText(chunk),
      sendFile: (chunk) => this.sendFile(chunk, chunk.file),
      react: (chat, id, emoji) => this.react(chat, id, emoji),
      edit: (chat, id, text) => this.edit(chat, id, text),
      delete: (chat, id) => this.remove(chat, id),
      typing: (chat) => this.require().sendPresenceUpdate("composing", this.jidOf(chat)),
      fetchAttachment: (ref) => this.download(ref),
    };
  }

  /** Opens the stored session; a missing or unreadable one fails the start with what to do. */
  private async start(ctx: ChannelContext): Promise<void> {
    if (!this.session.linked()) throw new NotLinked(this.phone);
    this.context = ctx;
    this.stopping = false;
    const outcome = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(), this.options.startTimeoutMs);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.firstOutcome = null;
        if (error) reject(error);
        else resolve();
      };
      this.firstOutcome = settle;
    });
    this.connect();
    await outcome;
  }

  /** Reports a link in progress on the channel, while it has no socket of its own. */
  linking(detail: string): void {
    if (this.running && !this.socket) this.context?.setStatus("connecting", detail);
  }

  /**
   * Unlinks the account: logs the device out on WhatsApp (over the open connection, or
   * one made for it) and deletes the stored session. Resolves with null once WhatsApp
   * took the logout, or with why it could not be reached; the session is deleted either way.
   */
  async logout(): Promise<string | null> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    const open = this.open;
    // Detached first, so the close the logout causes is not taken for a lost connection.
    this.socket = null;
    this.open = false;

    let failure: string | null = null;
    if (socket && open) failure = await socket.logout().then(() => null, (error: unknown) => (error as Error).message);
    else failure = await this.logoutOnce();
    socket?.end(undefined);
    this.session.clear();
    if (failure) this.log.warn({ account: this.phone, reason: failure }, "WhatsApp logout did not reach WhatsApp; the stored session was deleted anyway");
    if (this.running) this.context?.setStatus("disconnected", `logged out; link again with \`arizuko whatsapp login ${this.phone}\``);
    return failure;
  }

  /** Connects only to log out, for an account with no open connection (arizuko stopped, or reconnecting). */
  private logoutOnce(): Promise<string | null> {
    const socket = this.options.connect({
      auth: this.session.state(),
      logger: baileysLogger(this.log),
      getMessage: async () => undefined,
      cachedGroupMetadata: async () => undefined,
      shouldSyncHistoryMessage: () => false,
    });

    return new Promise((resolve) => {
      let done = false;
      const finish = (failure: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.end(undefined);
        resolve(failure);
      };
      const timer = setTimeout(() => finish(`WhatsApp did not answer within ${this.options.startTimeoutMs} ms`), this.options.startTimeoutMs);

      socket.ev.on("creds.update", () => this.session.saveCreds());
      socket.ev.on("connection.update", (update) => {
        // A QR request means WhatsApp has no record of this device, so nothing is left to log out.
        if (update.qr) return finish(null);
        if (update.connection === "open") socket.logout().then(() => finish(null), (error: unknown) => finish((error as Error).message));
        if (update.connection !== "close") return;
        const code = statusOf(update.lastDisconnect?.error);
        finish(code === 401 ? null : `connection closed (${code ?? "no code"}: ${update.lastDisconnect?.error?.message ?? "closed"})`);
      });
    });
  }

  /** Starts the channel's socket again after a link made while arizuko runs. */
  resume(): void {
    if (!this.running || this.socket) return;
    this.attempts = 0;
    this.connect();
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.closeSocket();
    await this.work;
    this.context = null;
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = null;
    this.open = false;
    socket?.end(undefined);
  }

  private connect(): void {
    const state = this.session.state();
    const socket = this.options.connect({
      auth: state,
      logger: baileysLogger(this.log),
      getMessage: async (key) => (key.id ? (this.archive.get(key.id)?.message ?? undefined) : undefined),
      cachedGroupMetadata: async (jid) => this.groups.get(jid),
      shouldSyncHistoryMessage: () => true,
    });
    this.socket = socket;
    this.context?.setStatus("connecting");

    socket.ev.on("creds.update", () => this.session.saveCreds());
    socket.ev.on("connection.update", (update) => {
      if (this.socket !== socket) return;
      if (update.connection === "open") this.opened(socket);
      if (update.qr) this.unexpectedQr(socket);
      if (update.connection === "close") this.closed(statusOf(update.lastDisconnect?.error), update.lastDisconnect?.error?.message ?? "closed");
    });
    socket.ev.on("messages.upsert", ({ messages, type }) => this.enqueue(messages, type));
    socket.ev.on("messaging-history.set", ({ messages }) => this.enqueue(messages, "history"));
    socket.ev.on("messages.update", (updates) => {
      for (const { key, update } of updates) {
        if (update.status === proto.WebMessageInfo.Status.ERROR) this.rejected(key, update.messageStubParameters?.[0]);
      }
    });
  }

  /** Logs a send WhatsApp rejected after taking it; the outbox already counted it delivered. */
  private rejected(key: WAMessageKey, error: string | null | undefined): void {
    this.log.error({ account: this.phone, chat: key.remoteJid, id: key.id, error }, "WhatsApp rejected a sent message after accepting it");
  }

  private opened(socket: WaSocket): void {
    const linked = socket.user?.id ? jidDecode(socket.user.id)?.user : undefined;
    if (linked && linked !== this.phone) {
      this.stopWith(`the linked phone is ${linked}, but this account is configured as ${this.phone}; fix the config or link ${this.phone}`);
      return;
    }
    this.open = true;
    this.attempts = 0;
    this.context?.setStatus("ok");
    this.log.info({ account: this.phone }, "connected to WhatsApp");
    this.firstOutcome?.();
  }

  /** Stops the channel on a QR request: a linked session never gets one, so WhatsApp no longer accepts it and it is deleted. */
  private unexpectedQr(socket: WaSocket): void {
    if (this.socket !== socket) return;
    this.session.clear();
    this.stopWith(`WhatsApp no longer accepts the session of ${this.phone} and offers a new link; the session was deleted. Link again with \`arizuko whatsapp login ${this.phone}\``);
  }

  private stopWith(reason: string): void {
    this.closeSocket();
    this.context?.setStatus("disconnected", reason);
    this.log.error({ account: this.phone }, reason);
    this.firstOutcome?.(new Error(reason));
  }

  private closed(code: number | null, message: string): void {
    this.socket = null;
    this.open = false;
    if (this.stopping) return;

    const decision = onClose(code, message);
    if (decision.action === "logged-out") {
      this.session.clear();
      this.stopWith(`${decision.reason}; the session was deleted. Link again with \`arizuko whatsapp login ${this.phone}\``);
      return;
    }

    const { reconnectMinMs, reconnectMaxMs } = this.options;
    let delay = 0;
    if (decision.delay === "backoff") delay = backoffMs(this.attempts++, reconnectMinMs, reconnectMaxMs);
    if (decision.delay === "longest") delay = reconnectMaxMs;
    this.context?.setStatus("disconnected", `${decision.reason}; reconnecting in ${delay} ms`);
    this.log.warn({ account: this.phone, code, delayMs: delay }, `WhatsApp ${decision.reason}; reconnecting`);
    this.firstOutcome?.();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopping) this.connect();
    }, delay);
  }

  /** Stores messages one at a time, in arrival order, so each chat's order is kept. */
  private enqueue(messages: WAMessage[], source: Source): void {
    for (const message of messages) {
      this.work = this.work.then(() => this.handle(message, source)).catch((error: unknown) => this.log.error({ account: this.phone, id: message.key.id, err: error }, "WhatsApp message not stored"));
    }
  }

  private async handle(message: WAMessage, source: Source): Promise<void> {
    const { key } = message;
    if (!key.id || !key.remoteJid || isJidBroadcast(key.remoteJid) || isJidNewsletter(key.remoteJid)) return;
    // Our own send coming back: stored and archived as the reply it is. A rejection that
    // arrived within Baileys' event buffer is merged into the echo, so it is read here.
    if (key.fromMe && this.sent.has(key.id)) {
      if (message.status === proto.WebMessageInfo.Status.ERROR) this.rejected(key, message.messageStubParameters?.[0]);
      return;
    }

    const content = readMessage(message);
    if (!content) return;
    const chat = await this.canonical(key.remoteJid, key.remoteJidAlt);
    if (!this.takes(chat)) return;
    this.archive.put(message);

    const group = isJidGroup(chat) ?? false;
    const me = this.me();
    let author = chat;
    if (key.fromMe) author = me.pn;
    else if (group) author = await this.canonical(key.participant ?? "", key.participantAlt);
    if (!author) return;
    const inbound = toInbound(message, content, {
      chat: chatJid("whatsapp", this.phone, chat),
      sender: senderJid("whatsapp", author),
      ...(message.pushName && { senderName: message.pushName }),
      ...(group && this.groups.get(chat)?.subject && { chatName: this.groups.get(chat)!.subject }),
      direct: !group,
    }, me);
    if (!inbound) return;

    const context = this.contextReason(message, source, chat);
    if (context) inbound.context = context;
    await this.store(inbound);
    this.archive.advance(chat, timestampOf(message));
    if (group && !this.groups.has(chat)) void this.learnGroup(chat);
  }

  /** Returns why a message is stored as context only, or null when it may start a run. */
  private contextReason(message: WAMessage, source: Source, chat: string): string | null {
    if (source === "history") return CONTEXT.history!;
    if (message.key.fromMe) return CONTEXT.own!;
    if (source === "append" && timestampOf(message) < this.archive.newest(chat)) return CONTEXT.replayed!;
    return null;
  }

  private async store(message: InboundMessage): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const ctx = this.context;
      if (!ctx) return;
      try {
        await ctx.inbound(message);
        return;
      } catch (error) {
        const ids = { account: this.phone, chat: message.chat, platformId: message.platformId, err: error };
        if (isRejectedMessage(error)) return void ctx.log.warn(ids, "WhatsApp message rejected by the host; skipped");
        if (attempt >= STORE_ATTEMPTS || this.stopping) return void ctx.log.error(ids, `WhatsApp message lost: storing failed ${attempt} times`);
        ctx.log.warn(ids, "storing a WhatsApp message failed; retrying");
        await new Promise((resolve) => setTimeout(resolve, STORE_RETRY_MS * attempt));
      }
    }
  }

  private async learnGroup(jid: string): Promise<void> {
    try {
      this.groups.set(jid, await this.require().groupMetadata(jid));
    } catch (error) {
      this.log.debug({ account: this.phone, chat: jid, err: error }, "group metadata unavailable");
    }
  }

  /** Our account's identities, for mentions and quotes. */
  private me(): Me {
    const user = this.socket?.user;
    return { pn: `${this.phone}@s.whatsapp.net`, lid: user?.lid ? jidNormalizedUser(user.lid) : null };
  }

  /** Returns a person's or chat's JID in the form arizuko keeps: the phone JID where one is known, else the LID. */
  private async canonical(jid: string, alt?: string | null): Promise<string> {
    const user = jidNormalizedUser(jid);
    if (!isLidUser(user)) return user;
    if (alt && isPnUser(jidNormalizedUser(alt))) this.phoneOfLid.set(user, jidNormalizedUser(alt));
    const known = this.phoneOfLid.get(user);
    if (known) return known;
    const looked = await this.socket?.signalRepository.lidMapping.getPNForLID(user).catch(() => null);
    if (!looked) return user;
    this.phoneOfLid.set(user, jidNormalizedUser(looked));
    return jidNormalizedUser(looked);
  }

  private takes(chat: string): boolean {
    const { allowChats, denyChats } = this.settings;
    if (denyChats.includes(chat)) return false;
    return allowChats.length === 0 || allowChats.includes(chat);
  }

  private require(): WaSocket {
    if (!this.socket || !this.open) throw new Transient(`WhatsApp account ${this.phone} is not connected`);
    return this.socket;
  }

  private jidOf(chat: string): string {
    return chat.slice(this.prefix.length);
  }

  /** Sends one message with an id chosen here, so its echo is known before it arrives. */
  private async deliver(chat: string, content: AnyMessageContent, quoted?: WAMessage): Promise<SendResult> {
    const socket = this.require();
    const id = generateMessageIDV2(socket.user?.id);
    this.sent.add(id);
    if (this.sent.size > REMEMBERED_SENDS) this.sent.delete(this.sent.values().next().value!);
    try {
      const sent = await socket.sendMessage(this.jidOf(chat), content, { messageId: id, ...(quoted && { quoted }) });
      if (sent) this.archive.put(sent);
    } catch (error) {
      throw sendFailure(error);
    }
    return { platformMessageId: id };
  }

  private sendText(chunk: OutboundChunk): Promise<SendResult> {
    return this.deliver(chunk.chat, { text: toWhatsApp(chunk.text), linkPreview: null }, this.quotedFor(chunk));
  }

  private async sendFile(chunk: OutboundChunk, file: OutboundFile): Promise<SendResult> {
    const caption = chunk.text.trim() ? toWhatsApp(chunk.text) : undefined;
    const quoted = this.quotedFor(chunk);
    const media = { url: file.path };
    const { mime } = file;

    if (mime.startsWith("audio/")) {
      // An Ogg Opus file is what WhatsApp plays as a voice note; other audio goes as a file to play.
      const voice = /^audio\/ogg\b/.test(mime);
      const result = await this.deliver(chunk.chat, { audio: media, mimetype: voice ? "audio/ogg; codecs=opus" : mime, ptt: voice }, quoted);
      if (caption) await this.deliver(chunk.chat, { text: caption, linkPreview: null });
      return result;
    }
    if (/^image\/(jpeg|png|webp|gif)$/.test(mime)) return this.deliver(chunk.chat, { image: media, mimetype: mime, ...(caption && { caption }) }, quoted);
    if (/^video\/(mp4|3gpp)$/.test(mime)) return this.deliver(chunk.chat, { video: media, mimetype: mime, ...(caption && { caption }) }, quoted);
    return this.deliver(chunk.chat, { document: media, mimetype: mime, fileName: file.name, ...(caption && { caption }) }, quoted);
  }

  /**
   * Returns the message a reply quotes. Baileys needs its content: when the archive
   * pruned it, the text in the host's store is used, and an unknown one is quoted by id alone.
   */
  private quotedFor(chunk: OutboundChunk): WAMessage | undefined {
    if (!chunk.replyTo) return undefined;
    const archived = this.archive.get(chunk.replyTo);
    if (archived?.message) return archived;
    const jid = this.jidOf(chunk.chat);
    const stored = this.options.messages.findByPlatformId(chunk.chat, chunk.replyTo);
    const fromMe = stored ? stored.direction === "out" : false;
    const participant = stored && !fromMe && isJidGroup(jid) ? stored.sender.slice("whatsapp:".length) : undefined;
    return { key: { remoteJid: jid, id: chunk.replyTo, fromMe, ...(participant && { participant }) }, message: { conversation: stored?.text ?? "" } };
  }

  private keyOf(chat: string, id: string, fromMe: boolean): WAMessageKey {
    return this.archive.get(id)?.key ?? { remoteJid: this.jidOf(chat), id, fromMe };
  }

  private async react(chat: string, id: string, emoji: string): Promise<void> {
    await this.deliver(chat, { react: { text: emoji, key: this.keyOf(chat, id, false) } });
  }

  private async edit(chat: string, id: string, text: string): Promise<void> {
    await this.deliver(chat, { text: toWhatsApp(text), edit: this.keyOf(chat, id, true) });
  }

  private async remove(chat: string, id: string): Promise<void> {
    await this.deliver(chat, { delete: this.keyOf(chat, id, true) });
  }

  private async download(ref: string): Promise<{ data: Uint8Array; mime: string }> {
    const message = this.archive.get(ref);
    if (!message) throw new Error(`WhatsApp attachment ${ref} is unknown or was pruned from the archive`);
    // Only a file WhatsApp's servers no longer have needs the connection: the phone uploads it again.
    const data = await downloadMediaMessage(message, "buffer", {}, { logger: baileysLogger(this.log), reuploadRequest: (stale) => this.require().updateMediaMessage(stale) });
    const content = normalizeMessageContent(message.message)!;
    const media = content[getContentType(content)!] as { mimetype?: string | null };
    return { data, mime: media.mimetype ?? "application/octet-stream" };
  }
}
