/**
 * http-channel: channels in other processes or languages, over HTTP. An adapter
 * registers with the shared secret and gets a session token, then delivers messages
 * with that token. The host sends it replies on its `POST /send`. Registrations and
 * tokens are kept in the database, so adapters keep working across a host restart.
 *
 *   POST /v1/channels/register    Bearer <secret>; { name, url, jid_prefixes, capabilities, account? } → { ok, token }
 *   POST /v1/messages             Bearer <token>; one inbound message → { ok, id }
 *   POST /v1/channels/deregister  Bearer <token> → { ok }
 *
 * The wire format is the one the arizuko adapters speak (see `wire.ts`).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { join } from "node:path";
import { definePlugin, HOST_API_VERSION, type Attachment, type Disposer, type JsonSchema } from "@arizuko/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import { adapterChannel, type AdapterChannel, type AdapterRecord, type AdapterSettings } from "./channel.js";
import { InlineFiles } from "./files.js";
import { DEREGISTER, INBOUND, REGISTER } from "./route-schemas.js";
import { parseInbound, parseRegistration, WireError } from "./wire.js";

interface HttpChannelConfig extends AdapterSettings {}

interface AdapterRow {
  name: string;
  url: string;
  jid_prefixes: string;
  account: string;
  capabilities: string;
}

/** Inbound bodies may carry a media file in base64. */
const INBOUND_BODY_LIMIT = 25 * 1024 * 1024;

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

function bearer(request: FastifyRequest): string {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1] ?? "";
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function reject(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ ok: false, error });
}

/** Some adapters send an empty body with a JSON content type; read it as no body. */
function allowEmptyBody(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.headers["content-length"] === "0") delete request.headers["content-type"];
  done();
}

function toRecord(row: AdapterRow): AdapterRecord {
  return {
    name: row.name,
    url: row.url,
    account: row.account,
    jidPrefixes: JSON.parse(row.jid_prefixes) as string[],
    capabilities: JSON.parse(row.capabilities) as Record<string, boolean>,
  };
}

export default definePlugin<JsonSchema, HttpChannelConfig>({
  name: "http-channel",
  version: "0.1.0",
  apiVersion: HOST_API_VERSION,
  description: "Channels in other processes over HTTP: adapters register, deliver messages and receive replies.",
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["secret"],
    properties: {
      secret: { type: "string", minLength: 16, description: "shared secret adapters present to register" },
      healthIntervalMs: { type: "integer", minimum: 50, default: 30_000 },
      failuresBeforeDown: { type: "integer", minimum: 1, default: 3 },
      sendTimeoutMs: { type: "integer", minimum: 100, default: 30_000 },
      maxTextLength: { type: "integer", minimum: 256, maximum: 100_000, default: 16_000 },
    },
  },
  migrations: new URL("../migrations", import.meta.url),

  register(host, config) {
    const statements = {
      list: host.db.prepare("SELECT name, url, jid_prefixes, account, capabilities FROM http_channel_adapters ORDER BY name"),
      byToken: host.db.prepare("SELECT name, url, jid_prefixes, account, capabilities FROM http_channel_adapters WHERE token_sha256 = ?"),
      upsert: host.db.prepare(
        `INSERT INTO http_channel_adapters (name, url, jid_prefixes, account, capabilities, token_sha256, registered_at)
         VALUES (@name, @url, @jid_prefixes, @account, @capabilities, @token_sha256, @registered_at)
         ON CONFLICT (name) DO UPDATE SET url = excluded.url, jid_prefixes = excluded.jid_prefixes, account = excluded.account,
           capabilities = excluded.capabilities, token_sha256 = excluded.token_sha256, registered_at = excluded.registered_at`,
      ),
      remove: host.db.prepare("DELETE FROM http_channel_adapters WHERE name = ?"),
    };
    const files = new InlineFiles(join(host.dataDir, "http-channel", "files"));
    const live = new Map<string, { record: AdapterRecord; channel: AdapterChannel; dispose: Disposer }>();

    /** Registers (or replaces) the channel of an adapter. */
    const attach = (record: AdapterRecord): void => {
      const current = live.get(record.name);
      if (current && JSON.stringify(current.record) === JSON.stringify(record)) {
        current.channel.markAlive();
        return;
      }
      current?.dispose();
      live.delete(record.name);
      const channel = adapterChannel(record, config, files);
      live.set(record.name, { record, channel, dispose: host.channels.register(channel) });
    };

    // Adapters registered before a restart keep their channels and tokens.
    for (const row of statements.list.all() as AdapterRow[]) attach(toRecord(row));
    host.onDispose(() => live.clear());

    const adapterOf = (request: FastifyRequest) => {
      const token = bearer(request);
      const row = token ? (statements.byToken.get(sha256(token)) as AdapterRow | undefined) : undefined;
      return row ? live.get(row.name) : undefined;
    };

    host.http.register({
      method: "POST",
      url: "/v1/channels/register",
      schema: REGISTER,
      // wire.ts checks the body, with the messages adapters already handle.
      documentOnly: ["body"],
      handler(request, reply) {
        if (!sameSecret(bearer(request), config.secret)) return reject(reply, 401, "invalid secret");
        let registration: ReturnType<typeof parseRegistration>;
        try {
          registration = parseRegistration(request.body);
        } catch (error) {
          if (error instanceof WireError) return reject(reply, 400, error.message);
          throw error;
        }

        const record: AdapterRecord = { name: registration.name, url: registration.url, account: registration.account, jidPrefixes: registration.jidPrefixes, capabilities: registration.capabilities };
        try {
          attach(record);
        } catch (error) {
          // Another channel owns the name or a prefix.
          return reject(reply, 409, (error as Error).message);
        }
        const token = randomBytes(24).toString("hex");
        statements.upsert.run({
          name: record.name,
          url: record.url,
          jid_prefixes: JSON.stringify(record.jidPrefixes),
          account: record.account,
          capabilities: JSON.stringify(record.capabilities),
          token_sha256: sha256(token),
          registered_at: Date.now(),
        });
        host.log.info({ adapter: record.name, url: record.url, prefixes: record.jidPrefixes, account: record.account }, "adapter registered");
        return { ok: true, token };
      },
    });

    host.http.register({
      method: "POST",
      url: "/v1/messages",
      schema: INBOUND,
      documentOnly: ["body"],
      bodyLimit: INBOUND_BODY_LIMIT,
      async handler(request, reply) {
        const adapter = adapterOf(request);
        if (!adapter) return reject(reply, 401, "invalid token");
        let parsed: ReturnType<typeof parseInbound>;
        try {
          parsed = parseInbound(adapter.record, request.body);
        } catch (error) {
          if (error instanceof WireError) {
            host.log.info({ adapter: adapter.record.name, err: error.message }, "inbound message rejected");
            return reject(reply, 400, error.message);
          }
          throw error;
        }

        // Inline bytes go to disk first; the message then points at them.
        const { message, inline } = parsed;
        if (message.attachments) {
          let next = 0;
          message.attachments = message.attachments.map((attachment): Attachment => {
            if (attachment.ref !== undefined) return attachment;
            const file = inline[next++]!;
            return { ...attachment, ref: `file:${files.save(file.data, file.mime)}` };
          });
        }
        try {
          const result = await adapter.channel.deliver(message);
          return { ok: true, id: result.id };
        } catch (error) {
          const status = (error as { statusCode?: number }).statusCode;
          if (status !== undefined && status >= 400 && status < 500) return reject(reply, status, (error as Error).message);
          // Not started yet (the host is starting or stopping): the adapter retries.
          if ((error as { kind?: string }).kind === "transient") return reject(reply, 503, (error as Error).message);
          throw error;
        }
      },
    });

    host.http.register({
      method: "POST",
      url: "/v1/channels/deregister",
      schema: DEREGISTER,
      onRequest: allowEmptyBody,
      handler(request, reply) {
        const adapter = adapterOf(request);
        if (!adapter) return reject(reply, 401, "invalid token");
        statements.remove.run(adapter.record.name);
        adapter.dispose();
        live.delete(adapter.record.name);
        host.log.info({ adapter: adapter.record.name }, "adapter deregistered");
        return { ok: true };
      },
    });
  },
});
