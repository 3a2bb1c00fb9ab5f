/**
 * A fake WhatsApp for the plugin's tests: sockets that emit what Baileys' socket emits
 * (`connection.update`, `creds.update`, `messages.upsert` as `notify` or `append`,
 * `messaging-history.set`) in the order Baileys emits it, and a small media server on
 * 127.0.0.1. Messages are built with Baileys' own functions (`generateWAMessage`,
 * `prepareWAMessageMedia`), so media is really encrypted and the plugin downloads it
 * with Baileys' real `downloadMediaMessage`.
 *
 * What the fake models of the server: a linked device (by its noise key), an offline
 * queue replayed as `append` at the next connection, history pushed once after a new
 * link, our own sends echoed as `append`, QR refs that run out, logout (401), and
 * sends failing as Baileys' do (Boom errors with a status code).
 */
import { EventEmitter } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Boom } from "@hapi/boom";
import {
  generateWAMessage,
  generateWAMessageFromContent,
  prepareWAMessageMedia,
  proto,
  type AnyMessageContent,
  type AuthenticationCreds,
  type BaileysEventMap,
  type GroupMetadata,
  type MiscMessageGenerationOptions,
  type WAMediaUploadFunction,
  type WAMessage,
  type WAMessageKey,
  type WAPresence,
} from "baileys";
import type { SocketFactory, SocketOptions, WaSocket } from "../src/socket.js";

export const DEVICE = 7;

/** One message a person sends to the account, as the test describes it. */
export interface Incoming {
  /** The chat: a group `…@g.us` or the sender's own JID for a direct message. */
  chat: string;
  /** The author's phone JID (`…@s.whatsapp.net`) or LID. */
  from: string;
  /** The author's other identity, which WhatsApp sends as `participantAlt` / `remoteJidAlt`. */
  fromAlt?: string;
  text?: string;
  pushName?: string;
  mentions?: string[];
  /** Quotes this earlier message. */
  quoted?: WAMessage;
  /** Content built by the caller (media, reactions, edits) instead of text. */
  content?: proto.IMessage;
  id?: string;
  /** Seconds since the epoch; default now. */
  timestamp?: number;
}

export interface SendRecord {
  jid: string;
  content: AnyMessageContent;
  message: WAMessage | null;
  options: MiscMessageGenerationOptions | undefined;
  at: number;
  outcome: "ok" | "rate_limited" | "transient" | "permanent";
}

type Failure = { status: number; message: string };

/** Returns the outcome the conformance kit reads for a failure Baileys would throw with this status. */
function outcomeOf(status: number): SendRecord["outcome"] {
  if (status === 429) return "rate_limited";
  if (status === 428 || status >= 500) return "transient";
  return "permanent";
}

let sequence = 0;
const newId = () => `3EB0${Date.now().toString(16).toUpperCase()}${(sequence++).toString(16).toUpperCase().padStart(4, "0")}`;

export class FakeWhatsApp {
  /** The account's phone number (digits). */
  readonly phone: string;
  readonly lid: string;
  /** The noise public key of the linked device, or null when nothing is linked. */
  private device: string | null = null;
  private readonly offline: Array<{ message: WAMessage }> = [];
  private historyPending: WAMessage[] | null = null;
  private readonly failures: Failure[] = [];
  private readonly media = new Map<string, Buffer>();
  private server: Server | null = null;
  readonly sockets: FakeSocket[] = [];
  readonly sends: SendRecord[] = [];
  readonly presences: Array<{ type: WAPresence; jid: string | undefined }> = [];
  readonly groups = new Map<string, GroupMetadata>();
  readonly lidToPn = new Map<string, string>();
  /** Refuses connections while false, as a network outage would. */
  reachable = true;
  /** Milliseconds between QR refs, and how many WhatsApp hands out before giving up. */
  qrIntervalMs = 200;
  qrRefs = 5;
  url = "";

  constructor(phone = "491700000001", lid = "100000000000001") {
    this.phone = phone;
    this.lid = lid;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const body = this.media.get(request.url ?? "");
      if (!body) return void response.writeHead(404).end();
      response.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.end(undefined);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  /** The factory the plugin gets. */
  readonly connect: SocketFactory = (options) => {
    const socket = new FakeSocket(this, options);
    this.sockets.push(socket);
    return socket;
  };

  get current(): FakeSocket | undefined {
    return this.sockets.at(-1);
  }

  /** The account's own JIDs with the linked device. */
  get me(): { id: string; lid: string; name: string } {
    return { id: `${this.phone}:${DEVICE}@s.whatsapp.net`, lid: `${this.lid}:${DEVICE}@lid`, name: "arizuko" };
  }

  /** Uploads encrypted media where the messages' `url` points, as WhatsApp's media servers keep it. */
  readonly upload: WAMediaUploadFunction = async (encFilePath) => {
    const path = `/mms/${newId()}`;
    this.media.set(path, await readFile(encFilePath));
    return { mediaUrl: `${this.url}${path}`, directPath: undefined as unknown as string };
  };

  /** Fresh credentials of a linked device, as a finished link leaves them; for tests that start linked. */
  linkedCreds(creds: AuthenticationCreds, phone = this.phone): void {
    creds.me = { id: `${phone}:${DEVICE}@s.whatsapp.net`, lid: this.me.lid, name: "arizuko" };
    creds.account = proto.ADVSignedDeviceIdentity.fromObject({ details: Buffer.from("fake"), accountSignatureKey: Buffer.alloc(32, 1), accountSignature: Buffer.alloc(64, 2), deviceSignature: Buffer.alloc(64, 3) });
    creds.platform = "smba";
    if (phone === this.phone) this.device = Buffer.from(creds.noiseKey.public).toString("base64");
  }

  /** True while a device is linked to the account. */
  get linked(): boolean {
    return this.device !== null;
  }

  isDevice(creds: AuthenticationCreds): boolean {
    return this.device !== null && this.device === Buffer.from(creds.noiseKey.public).toString("base64");
  }

  /** Accepts the QR code (or pairing code) shown on the current socket, as the phone does. */
  acceptLink(options: { phone?: string; history?: WAMessage[] } = {}): void {
    const socket = this.current;
    if (!socket || socket.closed) throw new Error("no socket is waiting for a link");
    socket.completeLink(options.phone ?? this.phone);
    this.historyPending = options.history ?? [];
  }

  /** Removes the device from Linked Devices, as the phone does: the socket closes with 401. */
  unlinkFromPhone(): void {
    this.device = null;
    this.current?.close(401, "Connection Failure");
  }

  /** Drops the connection (428); with `reachable = false` reconnects fail until it is true again. */
  drop(status = 428): void {
    this.current?.close(status, "Connection Closed");
  }

  /** Makes the next send throw as Baileys would. */
  failNextSend(status: number, message = "failed"): void {
    this.failures.push({ status, message });
  }

  /** Builds a message from a person, with WhatsApp's key fields. */
  async build(incoming: Incoming): Promise<WAMessage> {
    const group = incoming.chat.endsWith("@g.us");
    const content: proto.IMessage =
      incoming.content ??
      (incoming.quoted || incoming.mentions
        ? {
            extendedTextMessage: {
              text: incoming.text ?? "",
              contextInfo: {
                ...(incoming.mentions && { mentionedJid: incoming.mentions }),
                ...(incoming.quoted && {
                  stanzaId: incoming.quoted.key.id,
                  participant: incoming.quoted.key.fromMe ? `${this.phone}@s.whatsapp.net` : (incoming.quoted.key.participant ?? incoming.quoted.key.remoteJid),
                  quotedMessage: incoming.quoted.message,
                }),
              },
            },
          }
        : { conversation: incoming.text ?? "" });
    const message = generateWAMessageFromContent(incoming.chat, content, {
      userJid: incoming.from,
      messageId: incoming.id ?? newId(),
      timestamp: new Date((incoming.timestamp ?? Math.floor(Date.now() / 1000)) * 1000),
    });
    message.key = {
      remoteJid: incoming.chat,
      fromMe: false,
      id: message.key.id,
      ...(group && { participant: incoming.from, ...(incoming.fromAlt && { participantAlt: incoming.fromAlt }) }),
      ...(!group && incoming.fromAlt && { remoteJidAlt: incoming.fromAlt }),
    } as WAMessageKey;
    message.pushName = incoming.pushName ?? incoming.from.split("@")[0];
    return message;
  }

  /** Encrypted media content from a person, e.g. `{ audio: bytes, ptt: true, mimetype: "audio/ogg; codecs=opus", seconds: 3 }`. */
  mediaContent(media: Parameters<typeof prepareWAMessageMedia>[0]): Promise<proto.IMessage> {
    return prepareWAMessageMedia(media, { upload: this.upload }) as Promise<proto.IMessage>;
  }

  /** Sends a person's message: live when connected (`notify`), else queued for the next connection (`append`). */
  async send(incoming: Incoming): Promise<WAMessage> {
    const message = await this.build(incoming);
    this.deliver(message);
    return message;
  }

  /** Delivers a built message again or for the first time. */
  deliver(message: WAMessage): void {
    const socket = this.current;
    if (socket?.isOpen) socket.upsert([message], "notify");
    else this.offline.push({ message });
  }

  /** Called by a socket once open: the offline queue as `append`, history after a new link. */
  flushOnOpen(socket: FakeSocket): void {
    const queued = this.offline.splice(0);
    if (queued.length > 0) socket.upsert(queued.map((entry) => entry.message), "append");
    if (this.historyPending) {
      const messages = this.historyPending;
      this.historyPending = null;
      socket.emit("messaging-history.set", { chats: [], contacts: [], messages, isLatest: true, syncType: proto.HistorySync.HistorySyncType.RECENT });
    }
    socket.emit("connection.update", { receivedPendingNotifications: true });
  }

  takeFailure(): Failure | undefined {
    return this.failures.shift();
  }

  /** Sends that reached the fake and succeeded, once their message is built. */
  sent(): Array<SendRecord & { message: WAMessage }> {
    return this.sends.filter((send): send is SendRecord & { message: WAMessage } => send.outcome === "ok" && send.message !== null);
  }
}

export class FakeSocket implements WaSocket {
  readonly ev = new EventEmitter();
  closed = false;
  isOpen = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly fake: FakeWhatsApp,
    private readonly options: SocketOptions,
  ) {
    this.later(0, () => this.begin());
  }

  get user() {
    return this.options.auth.creds.me;
  }

  get creds(): AuthenticationCreds {
    return this.options.auth.creds;
  }

  emit<E extends keyof BaileysEventMap>(event: E, payload: BaileysEventMap[E]): void {
    if (!this.closed || event === "connection.update") this.ev.emit(event, payload);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
  }

  private begin(): void {
    this.emit("connection.update", { connection: "connecting", receivedPendingNotifications: false, qr: undefined });
    if (!this.fake.reachable) return this.close(408, "WebSocket Error (ECONNREFUSED)");
    if (this.creds.me && this.creds.account) {
      if (!this.fake.isDevice(this.creds)) return this.close(401, "Connection Failure");
      this.isOpen = true;
      this.emit("connection.update", { connection: "open" });
      this.fake.flushOnOpen(this);
      return;
    }
    this.showQr(0);
  }

  private showQr(ref: number): void {
    if (ref >= this.fake.qrRefs) return this.close(408, "QR refs attempts ended");
    const noise = Buffer.from(this.creds.noiseKey.public).toString("base64");
    this.emit("connection.update", { qr: `2@fake-ref-${ref},${noise},identity,adv` });
    this.later(this.fake.qrIntervalMs, () => this.showQr(ref + 1));
  }

  /** Completes the link as the phone would: creds gain the account, then WhatsApp requests a restart. */
  completeLink(phone: string): void {
    this.fake.linkedCreds(this.creds, phone);
    this.emit("creds.update", { me: this.creds.me, account: this.creds.account, platform: this.creds.platform });
    this.emit("connection.update", { isNewLogin: true, qr: undefined });
    this.close(515, "Stream Errored (restart required)");
  }

  upsert(messages: WAMessage[], type: "notify" | "append"): void {
    this.emit("messages.upsert", { messages, type });
  }

  close(status: number | undefined, message: string): void {
    if (this.closed) return;
    this.isOpen = false;
    this.emit("connection.update", {
      connection: "close",
      lastDisconnect: { error: status === undefined ? undefined : new Boom(message, { statusCode: status }), date: new Date() },
    });
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.ev.removeAllListeners();
  }

  end(error: Error | undefined): void {
    this.close(error ? 428 : undefined, error?.message ?? "Connection Terminated");
  }

  async sendMessage(jid: string, content: AnyMessageContent, options?: MiscMessageGenerationOptions): Promise<WAMessage | undefined> {
    const record: SendRecord = { jid, content, message: null, options, at: Date.now(), outcome: "ok" };
    this.fake.sends.push(record);
    const failure = this.isOpen ? this.fake.takeFailure() : { status: 428, message: "Connection Closed" };
    if (failure) {
      record.outcome = outcomeOf(failure.status);
      throw new Boom(failure.message, { statusCode: failure.status });
    }
    const message = await generateWAMessage(jid, content, { userJid: this.fake.me.id, upload: this.fake.upload, logger: this.options.logger, ...options });
    record.message = message;
    // Baileys upserts our own sends on the next tick, as `append` (emitOwnEvents).
    process.nextTick(() => this.upsert([message], "append"));
    return message;
  }

  async sendPresenceUpdate(type: WAPresence, jid?: string): Promise<void> {
    if (!this.isOpen) throw new Boom("Connection Closed", { statusCode: 428 });
    this.fake.presences.push({ type, jid });
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    // As Baileys does: `me` is set before the request goes out.
    this.creds.pairingCode = "FAKECODE";
    this.creds.me = { id: `${phoneNumber}@s.whatsapp.net`, name: "~" };
    this.emit("creds.update", { pairingCode: this.creds.pairingCode, me: this.creds.me });
    return "FAKECODE";
  }

  async logout(): Promise<void> {
    this.fake.unlinkFromPhone();
  }

  async groupMetadata(jid: string): Promise<GroupMetadata> {
    const metadata = this.fake.groups.get(jid);
    if (!metadata) throw new Boom("item-not-found", { statusCode: 404 });
    return metadata;
  }

  async updateMediaMessage(message: WAMessage): Promise<WAMessage> {
    return message;
  }

  readonly signalRepository = {
    lidMapping: { getPNForLID: async (lid: string) => this.fake.lidToPn.get(lid.split("@")[0]!.split(":")[0]!) ?? null },
  };
}
