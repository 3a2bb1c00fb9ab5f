/**
 * A small fake of Telegram's Bot API on 127.0.0.1, enough for the real grammY client:
 * getMe, setWebhook, deleteWebhook, getUpdates (long polling with offsets), sendMessage,
 * sendChatAction, getFile and file downloads. Tests queue updates, read what the bot
 * sent, and make the next send fail the way Telegram fails.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Update } from "grammy/types";

export interface FakeBot {
  id: number;
  username: string;
  token: string;
}

export interface SentMessage {
  bot: number;
  chat_id: string;
  text: string;
  parse_mode?: string;
  message_thread_id?: number;
  reply_parameters?: { message_id: number };
  message_id: number;
  /** The HTTP status the fake returned. */
  status: number;
  at: number;
}

export interface TelegramFailure {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number };
}

interface Queue {
  updates: Update[];
  waiting: Array<() => void>;
  nextId: number;
}

/** Parses a JSON body, or a multipart one (files) into fields with each file as `{ name, size, text }`. */
async function parseBody(request: IncomingMessage, raw: Buffer): Promise<Record<string, unknown>> {
  if (raw.length === 0) return {};
  const type = request.headers["content-type"] ?? "";
  if (!type.startsWith("multipart/form-data")) return JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  const boundary = /boundary=("?)([^";]+)\1/.exec(type)?.[2] ?? "";
  const body: Record<string, unknown> = {};
  // Parts as latin1 text, so every byte maps to one character and back.
  for (const part of raw.toString("latin1").split(`--${boundary}`).slice(1, -1)) {
    const split = part.indexOf("\r\n\r\n");
    const headers = part.slice(0, split);
    const content = part.slice(split + 4, part.endsWith("\r\n") ? -2 : undefined);
    const name = /name="([^"]*)"/.exec(headers)?.[1] ?? "";
    // grammY writes the file name without quotes.
    const fileName = /filename="?([^"\r\n]*)"?/.exec(headers)?.[1];
    const value = Buffer.from(content, "latin1").toString("utf8");
    if (fileName !== undefined) body[name] = { name: fileName, size: Buffer.byteLength(content, "latin1"), text: value };
    else body[name] = /^[[{]|^-?\d+$/.test(value) ? JSON.parse(value) : value;
  }
  // grammY names an uploaded file `attach://<field>` in the method's parameter.
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string" && value.startsWith("attach://")) body[key] = body[value.slice("attach://".length)];
  }
  return body;
}

export interface CallRecord {
  method: string;
  body: Record<string, unknown>;
}

export class FakeBotApi {
  /** Calls other than getUpdates, getMe and sendMessage, in order. */
  readonly calls: CallRecord[] = [];
  readonly sent: SentMessage[] = [];
  /** Every sendChatAction call: chat, action, thread and when. */
  readonly actions: Array<{ chat_id: string; action: string; message_thread_id?: number; at: number }> = [];
  /** Every setWebhook call's parameters. */
  readonly webhooks: Array<{ bot: number; url: string; secret_token?: string }> = [];
  /** What getWebhookInfo reports as the last failed webhook delivery, per bot id. */
  readonly webhookErrors = new Map<number, { date: number; message: string }>();
  /** The offset of every getUpdates call, per bot. */
  readonly polls = new Map<number, number[]>();
  readonly files = new Map<string, { path: string; data: Buffer; mime: string }>();
  private readonly bots = new Map<string, FakeBot>();
  private readonly queues = new Map<number, Queue>();
  private readonly failures: TelegramFailure[] = [];
  private readonly confirmListeners: Array<(bot: number, update: Update) => void> = [];
  private server: Server | null = null;
  private cut = false;
  private nextMessageId = 5000;
  url = "";

  addBot(bot: FakeBot): void {
    this.bots.set(bot.token, bot);
    this.queues.set(bot.id, { updates: [], waiting: [], nextId: 70001 });
  }

  /** Queues an update; its `update_id` is the next in line unless it has one. Returns the id. */
  push(botId: number, update: Omit<Update, "update_id"> & { update_id?: number }): number {
    const queue = this.queues.get(botId)!;
    const id = update.update_id ?? queue.nextId;
    queue.nextId = Math.max(queue.nextId, id + 1);
    queue.updates.push({ ...update, update_id: id } as Update);
    for (const wake of queue.waiting.splice(0)) wake();
    return id;
  }

  /** Calls `listener` for each update a bot confirmed by asking for a later offset. */
  onConfirm(listener: (bot: number, update: Update) => void): void {
    this.confirmListeners.push(listener);
  }

  failNextSend(failure: TelegramFailure): void {
    this.failures.push(failure);
  }

  /** Makes every call fail as if Telegram were unreachable, until `reconnect`. */
  disconnect(): void {
    this.cut = true;
    for (const queue of this.queues.values()) for (const wake of queue.waiting.splice(0)) wake();
  }

  reconnect(): void {
    this.cut = false;
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const queue of this.queues.values()) for (const wake of queue.waiting.splice(0)) wake();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = await parseBody(request, Buffer.concat(chunks));
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(request.url ?? "");
    if (file) return this.download(response, file[1]!, file[2]!);

    const call = /^\/bot([^/]+)\/(\w+)$/.exec(request.url ?? "");
    const bot = call ? this.bots.get(call[1]!) : undefined;
    if (!call || !bot) return this.fail(response, { error_code: 401, description: "Unauthorized" });
    if (this.cut) {
      response.destroy();
      return;
    }
    switch (call[2]) {
      case "getMe":
        return this.ok(response, { id: bot.id, is_bot: true, first_name: "Demo", username: bot.username });
      case "setWebhook":
        this.webhooks.push({ bot: bot.id, url: String(body.url), ...(typeof body.secret_token === "string" && { secret_token: body.secret_token }) });
        return this.ok(response, true);
      case "sendChatAction":
        this.actions.push({ chat_id: String(body.chat_id), action: String(body.action), ...(typeof body.message_thread_id === "number" && { message_thread_id: body.message_thread_id }), at: Date.now() });
        return this.ok(response, true);
      case "deleteWebhook":
        return this.ok(response, true);
      case "getWebhookInfo": {
        const url = this.webhooks.filter((webhook) => webhook.bot === bot.id).at(-1)?.url ?? "";
        const error = this.webhookErrors.get(bot.id);
        return this.ok(response, { url, has_custom_certificate: false, pending_update_count: 0, ...(error && { last_error_date: error.date, last_error_message: error.message }) });
      }
      case "getUpdates":
        return this.getUpdates(response, bot, body, request);
      case "sendMessage":
        return this.sendMessage(response, bot, body);
      case "setMyCommands":
      case "setMessageReaction":
      case "editMessageText":
      case "deleteMessage":
        this.calls.push({ method: call[2], body });
        return this.ok(response, true);
      case "sendDocument":
      case "sendPhoto":
      case "sendVoice": {
        this.calls.push({ method: call[2], body });
        // Telegram's caption limit, as the Bot API documents it for every file method.
        if (typeof body.caption === "string" && [...body.caption].length > 1024) return this.fail(response, { error_code: 400, description: "Bad Request: message caption is too long" });
        const failure = this.failures.shift();
        if (failure) return this.fail(response, failure);
        return this.ok(response, { message_id: ++this.nextMessageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: "private" } });
      }
      case "getFile": {
        const stored = this.files.get(String(body.file_id));
        if (!stored) return this.fail(response, { error_code: 400, description: "Bad Request: invalid file_id" });
        return this.ok(response, { file_id: body.file_id, file_unique_id: `u-${String(body.file_id)}`, file_size: stored.data.length, file_path: stored.path });
      }
      default:
        return this.fail(response, { error_code: 404, description: `Not Found: method ${call[2]} is not in this fake` });
    }
  }

  private async getUpdates(response: ServerResponse, bot: FakeBot, body: Record<string, unknown>, request: IncomingMessage): Promise<void> {
    const queue = this.queues.get(bot.id)!;
    const offset = Number(body.offset ?? 0);
    this.polls.set(bot.id, [...(this.polls.get(bot.id) ?? []), offset]);
    // An offset confirms every update before it, so Telegram drops them.
    if (offset > 0) {
      for (const update of queue.updates.filter((candidate) => candidate.update_id < offset)) {
        for (const listener of this.confirmListeners) listener(bot.id, update);
      }
      queue.updates = queue.updates.filter((candidate) => candidate.update_id >= offset);
    }
    if (queue.updates.length === 0 && Number(body.timeout ?? 0) > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Number(body.timeout) * 1000);
        queue.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
        request.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (this.cut) return void response.destroy();
    this.ok(response, queue.updates.slice(0, Number(body.limit ?? 100)));
  }

  private sendMessage(response: ServerResponse, bot: FakeBot, body: Record<string, unknown>): void {
    const failure = this.failures.shift();
    const record: SentMessage = {
      bot: bot.id,
      chat_id: String(body.chat_id),
      text: String(body.text),
      ...(typeof body.parse_mode === "string" && { parse_mode: body.parse_mode }),
      ...(typeof body.message_thread_id === "number" && { message_thread_id: body.message_thread_id }),
      ...(body.reply_parameters !== undefined && { reply_parameters: body.reply_parameters as { message_id: number } }),
      message_id: failure ? 0 : ++this.nextMessageId,
      status: failure?.error_code ?? 200,
      at: Date.now(),
    };
    this.sent.push(record);
    if (failure) return this.fail(response, failure);
    this.ok(response, { message_id: record.message_id, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: "private" }, text: record.text });
  }

  private download(response: ServerResponse, token: string, path: string): void {
    const stored = this.bots.has(token) ? [...this.files.values()].find((file) => file.path === path) : undefined;
    if (!stored) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": stored.mime }).end(stored.data);
  }

  private ok(response: ServerResponse, result: unknown): void {
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result }));
  }

  private fail(response: ServerResponse, failure: TelegramFailure): void {
    response.writeHead(failure.error_code, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, ...failure }));
  }
}
