/**
 * The test host: a real arizuko core (SQLite file in a temporary folder, the pipeline,
 * the outbox and delivery) running one plugin, for plugin authors' tests. It lives in
 * `@arizuko/core`, so install that as a dev dependency; this module only loads it.
 */
import type { Capability } from "../channel.js";
import type { ChannelInfo } from "../host.js";
import type { StoredMessage } from "../messages.js";

export interface TestHostOptions {
  /** The plugin under test: the object `definePlugin` returned (or the module's default export). */
  plugin: unknown;
  /** The plugin's own config, checked against its `configSchema`. */
  config?: Record<string, unknown>;
  /** Host settings merged over the test defaults (an `arizuko.yaml` as an object). */
  settings?: Record<string, unknown>;
  /** Reuse this folder; default a new temporary one, deleted by `dispose()`. */
  dir?: string;
}

/** One outbox row, as delivery reads it. */
export interface OutboxEntry {
  state: "queued" | "sending" | "delivered" | "failed";
  attempts: number;
  /** Earliest time of the next attempt (ms since the epoch). */
  notBefore: number;
  platformMessageId: string | null;
  text: string;
  replyTo: string | null;
  error: string | null;
}

export interface TestHost {
  /** The data folder; it survives `restart()`. */
  readonly dir: string;
  /** Base URL of the host's HTTP server on 127.0.0.1. */
  readonly url: string;
  /** Inbound messages in store order, of one chat or all. */
  messages(chat?: string): StoredMessage[];
  /** Stores a reply to `chat` for delivery through the outbox, as an agent's reply would be. */
  reply(chat: string, text: string, options?: { replyTo?: string; topic?: string }): void;
  /** The outbox rows of `chat`, oldest first. */
  outbox(chat: string): OutboxEntry[];
  /** The channels registered now, with their health. */
  channels(): ChannelInfo[];
  /** Inbound messages stored and redeliveries recognised since this host (re)started. */
  inbound(): { stored: number; duplicates: number };
  /** Send outcomes since this host (re)started: `unknownOutcomes` counts sends reported as Unknown. */
  delivery(): { delivered: number; retried: number; failed: number; unknownOutcomes: number };
  /** Each plugin's state (`running`, `degraded`, `failed`, …) and its error, as `/health` shows them. */
  plugins(): Record<string, { state: string; error?: string }>;
  /** Throws the host's coded error unless the channel owning `chat` declared `capability`. */
  requireCapability(chat: string, capability: Capability): void;
  /** Stops the host and starts a new one over the same folder and plugin, as after a crash-free restart. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the host and deletes a temporary folder. */
  dispose(): Promise<void>;
}

interface CoreTesting {
  createTestHost(options: TestHostOptions): Promise<TestHost>;
}

// A variable specifier keeps TypeScript from building against core, which depends on this package.
const CORE_TESTING = "@arizuko/core/testing";

/** Starts a test host; needs `@arizuko/core` installed beside `@arizuko/sdk`. */
export async function createTestHost(options: TestHostOptions): Promise<TestHost> {
  let core: CoreTesting;
  try {
    core = (await import(CORE_TESTING)) as CoreTesting;
  } catch (error) {
    throw new Error(`the test host needs @arizuko/core: install it as a dev dependency (npm install -D @arizuko/core); loading it failed: ${(error as Error).message}`);
  }
  return core.createTestHost(options);
}
