/**
 * The test host behind `@arizuko/sdk/testing`: a real kernel (SQLite file, pipeline,
 * outbox, delivery, fastify on 127.0.0.1) that runs one plugin handed over in process.
 * Nothing else is loaded: no web chat, no routing layers, so every inbound message is
 * stored as context and starts no agent run.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Capability, StoredMessage } from "@arizuko/sdk";
import type { OutboxEntry, TestHost, TestHostOptions } from "@arizuko/sdk/testing";
import pino from "pino";
import { stringify } from "yaml";
import { loadConfig } from "./config/load.js";
import { Kernel } from "./kernel.js";

interface OutboxRow {
  state: OutboxEntry["state"];
  attempts: number;
  not_before: number;
  platform_message_id: string | null;
  text: string;
  reply_to: string | null;
  error: string | null;
}

async function boot(dir: string, options: TestHostOptions): Promise<Kernel> {
  const file = join(dir, "arizuko.yaml");
  writeFileSync(file, stringify({ data: "./data", http: { host: "127.0.0.1", port: 0 }, plugins: [], log: { level: "warn" }, ...options.settings }));
  const resolved = loadConfig({ file });
  // The host's own log goes to a file in the folder, so test output stays readable.
  const log = pino({ level: process.env.ARIZUKO_TEST_LOG ?? "info" }, pino.destination({ dest: join(dir, "arizuko.log"), sync: true }));
  const kernel = await Kernel.boot(resolved, "server", log, { plugins: [{ definition: options.plugin, config: options.config }] });
  try {
    await kernel.start();
  } catch (error) {
    await kernel.stop("start-up failed");
    throw error;
  }
  return kernel;
}

export async function createTestHost(options: TestHostOptions): Promise<TestHost> {
  const temporary = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "arizuko-test-host-"));
  let kernel = await boot(dir, options);

  return {
    dir,
    get url() {
      return kernel.url ?? "";
    },
    messages(chat) {
      const sql = `SELECT seq FROM messages WHERE direction = 'in'${chat === undefined ? "" : " AND chat = ?"} ORDER BY seq`;
      const rows = kernel.store.db.prepare(sql).all(...(chat === undefined ? [] : [chat])) as Array<{ seq: number }>;
      return rows.flatMap((row): StoredMessage[] => {
        const message = kernel.store.messages.bySeq(row.seq);
        return message ? [message] : [];
      });
    },
    reply(chat, text, extra = {}) {
      kernel.outbound.notice({ chat, topic: extra.topic ?? "", text, group: null, replyTo: extra.replyTo ?? null });
    },
    outbox(chat) {
      const rows = kernel.store.db
        .prepare("SELECT state, attempts, not_before, platform_message_id, text, reply_to, error FROM outbox WHERE chat = ? ORDER BY rowid")
        .all(chat) as OutboxRow[];
      return rows.map((row) => ({
        state: row.state,
        attempts: row.attempts,
        notBefore: row.not_before,
        platformMessageId: row.platform_message_id,
        text: row.text,
        replyTo: row.reply_to,
        error: row.error,
      }));
    },
    channels: () => kernel.channels.list(),
    inbound: () => ({ ...kernel.inbound.counters }),
    delivery: () => ({ ...kernel.delivery.counters }),
    plugins: () => kernel.health().plugins,
    requireCapability(chat: string, capability: Capability) {
      kernel.channels.require(chat, capability);
    },
    async restart() {
      await kernel.stop("test host restart");
      kernel = await boot(dir, options);
    },
    stop: () => kernel.stop("test finished"),
    async dispose() {
      await kernel.stop("test finished");
      if (temporary) rmSync(dir, { recursive: true, force: true });
    },
  };
}
