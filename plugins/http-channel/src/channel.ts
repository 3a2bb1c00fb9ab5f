/**
 * One registered adapter as an arizuko channel. Replies go to its `POST /send` (files to
 * `/send-file`) with the shared secret and the outbox row id as idempotency key;
 * reactions, edits and deletions to `/like`, `/edit` and `/delete`. `GET /health` is checked on
 * an interval. After `failuresBeforeDown` failed checks in a row the channel reports
 * itself disconnected, so the outbox keeps its replies until the adapter is back.
 */
import {
  defineChannel,
  Permanent,
  RateLimited,
  Transient,
  Unknown,
  type Channel,
  type ChannelContext,
  type InboundMessage,
  type InboundResult,
  type OutboundChunk,
  type OutboundFile,
} from "@arizuko/sdk";
import { readFile } from "node:fs/promises";
import { callAdapter, encodeForm, type AdapterResponse } from "./client.js";
import type { InlineFiles } from "./files.js";
import { toAdapterJid, type AdapterIdentity } from "./wire.js";

export interface AdapterRecord extends AdapterIdentity {
  url: string;
  capabilities: Record<string, boolean>;
}

export interface AdapterSettings {
  secret: string;
  healthIntervalMs: number;
  failuresBeforeDown: number;
  sendTimeoutMs: number;
  maxTextLength: number;
}

/** A channel for one adapter, plus what the plugin's routes need from it. */
export interface AdapterChannel extends Channel {
  /** Stores a message the adapter delivered; rejects while the channel is not started. */
  deliver(message: InboundMessage): Promise<InboundResult>;
  /** The adapter just proved it is alive (it registered again): report ok at once. */
  markAlive(): void;
}

/** Errors where the request certainly never reached the adapter. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
const FILE_REF = "file:";

function retryAfterMs(response: AdapterResponse): number {
  const header = Number(response.headers["retry-after"]);
  if (Number.isFinite(header) && header >= 0) return header * 1000;
  const field = Number(response.body?.retry_after);
  return Number.isFinite(field) && field >= 0 ? field * 1000 : 1000;
}

function errorText(response: AdapterResponse): string {
  const error = response.body?.error;
  return typeof error === "string" && error.length > 0 ? error : `HTTP ${response.status}`;
}

/** Maps the adapter's response to a send to the outcome the outbox acts on. */
function sendOutcome(name: string, response: AdapterResponse, outboxId: string): { platformMessageId: string } {
  if (response.status === 200 && response.body?.ok !== false) {
    const id = response.body?.id;
    // Some adapters respond without an id (e.g. when they queue the message themselves).
    return { platformMessageId: typeof id === "string" && id.length > 0 ? id : `${name}:${outboxId}` };
  }
  const reason = `adapter ${name} returned HTTP ${response.status}: ${errorText(response)}`;
  if (response.status === 429) throw new RateLimited(retryAfterMs(response), reason);
  // A rejected secret is a configuration mistake an operator can fix; keep the reply meanwhile.
  if (response.status === 401 || response.status === 403 || response.status >= 500) throw new Transient(reason);
  throw new Permanent(reason);
}

export function adapterChannel(record: AdapterRecord, settings: AdapterSettings, files: InlineFiles): AdapterChannel {
  const prefixes = [...new Set(record.jidPrefixes.map((prefix) => `${prefix}${record.account}/`))];
  const auth = { authorization: `Bearer ${settings.secret}` };
  let context: ChannelContext | null = null;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  /** Calls one of the adapter's message verbs (`/like`, `/edit`, `/delete`); a failure throws with the adapter's error. */
  async function action(chat: string, path: string, body: Record<string, string>): Promise<void> {
    const chatJid = toAdapterJid(record, chat);
    if (chatJid === null) throw new Error(`chat ${chat} does not belong to adapter ${record.name}`);
    const target = body.target_id?.replaceAll("%23", "#");
    const response = await callAdapter(`${record.url}${path}`, { method: "POST", body: { chat_jid: chatJid, ...body, ...(target && { target_id: target }) }, headers: auth, timeoutMs: settings.sendTimeoutMs });
    if (response.status !== 200 || response.body?.ok === false) throw new Error(`adapter ${record.name} returned HTTP ${response.status} for ${path}: ${errorText(response)}`);
  }

  async function checkHealth(ctx: ChannelContext): Promise<void> {
    try {
      const response = await callAdapter(`${record.url}/health`, { method: "GET", timeoutMs: Math.min(5000, settings.healthIntervalMs), signal: ctx.signal });
      const status = response.body?.status;
      // Adapters respond 503 with status "stale" when only their inbound is quiet.
      if (response.status !== 200 && status !== "stale") throw new Error(`health check returned HTTP ${response.status}${typeof status === "string" ? ` (${status})` : ""}`);
      failures = 0;
      ctx.setStatus(status === "stale" ? "stale" : "ok");
    } catch (error) {
      if (ctx.signal.aborted) return;
      failures += 1;
      if (failures >= settings.failuresBeforeDown) {
        ctx.setStatus("disconnected", `adapter ${record.name} failed ${failures} health checks: ${(error as Error).message}`);
      }
    }
  }

  const channel = defineChannel({
    name: record.name,
    prefixes,
    capabilities: {
      send: true,
      reply: true,
      threads: true,
      typing: record.capabilities.typing === true,
      sendFile: record.capabilities.send_file === true,
      edit: record.capabilities.edit === true,
      delete: record.capabilities.delete === true,
      react: record.capabilities.like === true,
      maxTextLength: settings.maxTextLength,
    },

    start(ctx: ChannelContext) {
      context = ctx;
      failures = 0;
      timer = setInterval(() => void checkHealth(ctx), settings.healthIntervalMs);
      ctx.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
    },

    stop() {
      clearInterval(timer);
      context = null;
    },

    async send(chunk: OutboundChunk) {
      const chatJid = toAdapterJid(record, chunk.chat);
      if (chatJid === null) throw new Permanent(`chat ${chunk.chat} does not belong to adapter ${record.name}`);
      const body = {
        chat_jid: chatJid,
        content: chunk.text,
        ...(chunk.replyTo !== null && { reply_to: chunk.replyTo.replaceAll("%23", "#") }),
        ...(chunk.topic !== "" && { thread_id: chunk.topic }),
        turn_id: chunk.outboxId,
      };
      let response: AdapterResponse;
      try {
        response = await callAdapter(`${record.url}/send`, { method: "POST", body, headers: { ...auth, "idempotency-key": chunk.outboxId }, timeoutMs: settings.sendTimeoutMs });
      } catch (error) {
        const code = (error as { code?: string }).code ?? "";
        const reason = `adapter ${record.name} unreachable: ${(error as Error).message}`;
        throw NOT_SENT.has(code) ? new Transient(reason, error) : new Unknown(reason, error);
      }
      return sendOutcome(record.name, response, chunk.outboxId);
    },

    // The file goes as multipart form data, with the same idempotency key and outcomes as `/send`.
    async sendFile(chunk: OutboundChunk & { file: OutboundFile }) {
      const chatJid = toAdapterJid(record, chunk.chat);
      if (chatJid === null) throw new Permanent(`chat ${chunk.chat} does not belong to adapter ${record.name}`);
      const form = new FormData();
      form.set("chat_jid", chatJid);
      form.set("filename", chunk.file.name);
      if (chunk.text !== "") form.set("caption", chunk.text);
      if (chunk.replyTo !== null) form.set("reply_to", chunk.replyTo.replaceAll("%23", "#"));
      if (chunk.topic !== "") form.set("thread_id", chunk.topic);
      form.set("file", new Blob([await readFile(chunk.file.path)], { type: chunk.file.mime }), chunk.file.name);

      let response: AdapterResponse;
      try {
        const encoded = await encodeForm(form);
        response = await callAdapter(`${record.url}/send-file`, { method: "POST", encoded, headers: { ...auth, "idempotency-key": chunk.outboxId }, timeoutMs: settings.sendTimeoutMs });
      } catch (error) {
        const code = (error as { code?: string }).code ?? "";
        const reason = `adapter ${record.name} unreachable: ${(error as Error).message}`;
        throw NOT_SENT.has(code) ? new Transient(reason, error) : new Unknown(reason, error);
      }
      return sendOutcome(record.name, response, chunk.outboxId);
    },

    react: (chat: string, id: string, emoji: string) => action(chat, "/like", { target_id: id, reaction: emoji }),
    edit: (chat: string, id: string, text: string) => action(chat, "/edit", { target_id: id, content: text }),
    delete: (chat: string, id: string) => action(chat, "/delete", { target_id: id }),

    async typing(chat: string) {
      const chatJid = toAdapterJid(record, chat);
      if (chatJid === null || !context) return;
      await callAdapter(`${record.url}/typing`, { method: "POST", body: { chat_jid: chatJid, on: true }, headers: auth, timeoutMs: 5000, signal: context.signal }).catch(() => undefined);
    },

    async fetchAttachment(ref: string) {
      if (ref.startsWith(FILE_REF)) return files.read(ref.slice(FILE_REF.length));
      const response = await callAdapter(ref, { method: "GET", headers: auth, timeoutMs: settings.sendTimeoutMs });
      if (response.status !== 200) throw new Error(`adapter ${record.name} returned HTTP ${response.status} for ${ref}`);
      return { data: response.raw, mime: String(response.headers["content-type"] ?? "application/octet-stream") };
    },
  });

  return {
    ...channel,
    deliver(message) {
      if (!context) return Promise.reject(new Transient(`channel ${record.name} is not started yet`));
      return context.inbound(message);
    },
    markAlive() {
      failures = 0;
      context?.setStatus("ok");
    },
  };
}

