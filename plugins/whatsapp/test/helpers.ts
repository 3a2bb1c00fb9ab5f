/**
 * Instances for the WhatsApp tests: a running arizuko with the plugin (linked or not)
 * beside the default plugins, and an offline host for CLI commands, as `arizuko
 * whatsapp login` boots one when no instance runs.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { stringify } from "yaml";
import { DEFAULT_PLUGINS } from "../../../core/src/config/schema.js";
import { Kernel, loadConfig } from "../../../core/src/index.js";
import { createLogger } from "../../../core/src/log.js";
import { startInstance, tempDir, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { CHAT, linkedPlugin, plugin, pluginConfig } from "./world.js";

export interface StartOptions {
  linked?: boolean;
  dir?: string;
  config?: Record<string, unknown>;
  /** Route rows added after start. */
  routes?: Array<{ match: string; target: string }>;
}

/** Starts arizuko with the WhatsApp plugin, admission open for WhatsApp. */
export async function startWithWhatsApp(options: StartOptions = {}): Promise<TestInstance> {
  const instance = await startInstance({
    ...(options.dir && { dir: options.dir }),
    config: { plugins: DEFAULT_PLUGINS, admission: { whatsapp: { policy: "open" } } },
    plugins: [{ definition: options.linked === false ? plugin : linkedPlugin, config: pluginConfig(options.config) }],
  });
  const routes = instance.kernel.registries.services.get("routes")!.value as { add(row: { match: string; target: string }): unknown };
  for (const row of options.routes ?? []) routes.add(row);
  return instance;
}

export function channelOf(instance: TestInstance) {
  return instance.kernel.channels.entryForChat(CHAT)!;
}

export function waitConnected(instance: TestInstance): Promise<unknown> {
  return waitFor(() => channelOf(instance).state === "ok", { what: "the WhatsApp channel to connect" });
}

/** Inbound rows of a chat, oldest first. */
export function rows(instance: TestInstance, chat = CHAT) {
  return instance.kernel.store.messages.recent(chat, 200).filter((row) => row.direction === "in");
}

/** Boots a host for one CLI command in `dir`, as the CLI does when no instance runs. */
export async function offlineHost(dir = tempDir()): Promise<{ dir: string; kernel: Kernel; log: string }> {
  const file = join(dir, "arizuko.yaml");
  writeFileSync(file, stringify({ http: { port: 0 }, plugins: DEFAULT_PLUGINS }));
  const resolved = loadConfig({ file });
  const log = join(dir, "offline.log");
  const logger = createLogger("debug", pino.destination({ dest: log, sync: true }), [String(pluginConfig().authKey)]);
  const kernel = await Kernel.boot(resolved, "offline", logger, { plugins: [{ definition: plugin, config: pluginConfig() }] });
  return { dir, kernel, log };
}
