/**
 * The channel registry: which channel owns which `<platform>:<account>/` prefix, what
 * each can do, and its health. The core asks it for the channel of a chat before
 * every send and never calls a capability a channel did not declare.
 */
import type { Capability, Channel, ChannelContext, ChannelInfo, ChannelState, Disposer, InboundMessage, InboundResult } from "@arizuko/sdk";
import { ArizukoError, CapabilityUnsupported, CHANNEL_STATES, hasPrefix, parseJid } from "@arizuko/sdk";
import type { Logger } from "pino";
import { errors } from "../errors.js";
import type { Hooks } from "../hooks/hooks.js";
import type { Store } from "../store/index.js";
import { NameRegistry, type Owner } from "../plugins/registry.js";

/** Maximum time a channel's start() may take before its plugin is marked failed. */
export const CHANNEL_START_TIMEOUT_MS = 30_000;
/** Maximum time a channel's stop() may take at shutdown. */
export const CHANNEL_STOP_TIMEOUT_MS = 10_000;

export interface ChannelEntry {
  channel: Channel;
  owner: Owner;
  state: ChannelState;
  detail: string | null;
  /** True between a successful start() and stop(). */
  started: boolean;
  /** True once the channel itself has called setStatus(). */
  reported: boolean;
  /** When the channel last stored an inbound message (ms since the epoch), or null. */
  lastInboundAt: number | null;
  /** When start() was called (ms since the epoch); backfill starts here when nothing came in. */
  startedAt: number;
  abort: AbortController;
}

export type InboundHandler = (entry: ChannelEntry, message: InboundMessage) => Promise<InboundResult>;

const CHANNEL_NAME = /^[a-z][a-z0-9-]*(:[A-Za-z0-9._-]+)?$/;

function checkPrefix(prefix: string): string | null {
  if (!prefix.endsWith("/")) return `prefix ${JSON.stringify(prefix)} must end with "/"`;
  const jid = (() => {
    try {
      return parseJid(prefix + "x");
    } catch {
      return null;
    }
  })();
  if (!jid || jid.kind !== "chat" || jid.chat !== "x") {
    return `prefix ${JSON.stringify(prefix)} must have the form <platform>:<account>/`;
  }
  return null;
}

export class ChannelRegistry {
  private readonly names = new NameRegistry<ChannelEntry>("channel");
  private readonly prefixes = new NameRegistry<ChannelEntry>("JID prefix");
  /** True once startAll() ran: a channel registered later (an adapter that connects at run time) starts at once. */
  private running = false;
  /** Called when a channel starts or reports `ok`, so the outbox can send what waited for it. */
  onAvailable: (entry: ChannelEntry) => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly hooks: Hooks,
    private readonly log: Logger,
    private readonly inbound: InboundHandler,
    /** Removes the config's secrets from the details channels report. */
    private readonly scrub: (text: string) => string = (text) => text,
  ) {}

  register(channel: Channel, owner: Owner): Disposer {
    this.check(channel, owner);
    const entry: ChannelEntry = {
      channel,
      owner,
      state: "connecting",
      detail: null,
      started: false,
      reported: false,
      lastInboundAt: null,
      startedAt: Date.now(),
      abort: new AbortController(),
    };

    const disposers: Disposer[] = [this.names.claim(channel.name, owner, entry)];
    try {
      for (const prefix of channel.prefixes) {
        // A valid prefix is exactly `<platform>:<account>/`, so two prefixes clash only when equal.
        disposers.push(this.prefixes.claim(prefix, owner, entry));
      }
    } catch (error) {
      disposers.forEach((dispose) => dispose());
      throw error;
    }

    void this.hooks.observe("onChannelRegister", { channel: channel.name, plugin: owner.name, prefixes: channel.prefixes });
    this.log.info({ plugin: owner.name, channel: channel.name, prefixes: channel.prefixes }, "channel registered");
    if (this.running) {
      void this.startEntry(entry).then((error) => {
        if (error !== null) this.log.error({ plugin: owner.name, channel: channel.name, err: error }, "channel registered after start-up failed to start");
      });
    }
    return () => {
      disposers.forEach((dispose) => dispose());
      void this.stopEntry(entry);
    };
  }

  private check(channel: Channel, owner: Owner): void {
    const problem = (() => {
      if (typeof channel?.name !== "string" || !CHANNEL_NAME.test(channel.name)) return `name must match ${CHANNEL_NAME.source}`;
      if (!Array.isArray(channel.prefixes) || channel.prefixes.length === 0) return "prefixes must list at least one <platform>:<account>/";
      const bad = channel.prefixes.map(checkPrefix).find((message) => message !== null);
      if (bad) return bad;
      if (typeof channel.send !== "function") return "send() is missing";
      const limit = channel.capabilities?.maxTextLength;
      if (!Number.isInteger(limit) || limit < 1) return "capabilities.maxTextLength must be a positive integer";
      if (channel.capabilities.confirm && typeof channel.confirm !== "function") return "capabilities.confirm is set but confirm() is missing";
      if (channel.capabilities.typing && typeof channel.typing !== "function") return "capabilities.typing is set but typing() is missing";
      for (const action of ["sendFile", "react", "edit", "delete"] as const) {
        if (channel.capabilities[action] && typeof channel[action] !== "function") return `capabilities.${action} is set but ${action}() is missing`;
      }
      const refresh = channel.capabilities.typingRefreshMs;
      if (refresh !== undefined && (!Number.isInteger(refresh) || refresh < 100)) return "capabilities.typingRefreshMs must be an integer of at least 100 (milliseconds)";
      for (const scope of ["perChat", "perChannel"] as const) {
        const rate = channel.capabilities.rateLimits?.[scope];
        if (rate === undefined) continue;
        if (!Number.isInteger(rate.messages) || rate.messages < 1 || !Number.isInteger(rate.perMs) || rate.perMs < 1) {
          return `capabilities.rateLimits.${scope} must be { messages, perMs } with positive integers, e.g. { messages: 1, perMs: 1000 }`;
        }
      }
      return null;
    })();
    if (problem) throw errors.channelInvalid(owner.name, String(channel?.name), problem);
  }

  /**
   * Starts every registered channel that has not started. Returns the channels whose
   * start failed, each with whether another channel of its plugin is running.
   */
  async startAll(): Promise<Array<{ owner: Owner; channel: string; error: unknown; siblingsRunning: boolean }>> {
    this.running = true;
    const pending = this.names.values().filter((entry) => !entry.started);
    const results = await Promise.all(pending.map(async (entry) => ({ entry, error: await this.startEntry(entry) })));
    const running = new Set(this.names.values().filter((entry) => entry.started).map((entry) => entry.owner.name));
    return results
      .filter((result) => result.error !== null)
      .map(({ entry, error }) => ({ owner: entry.owner, channel: entry.channel.name, error, siblingsRunning: running.has(entry.owner.name) }));
  }

  private async startEntry(entry: ChannelEntry): Promise<unknown> {
    const { channel } = entry;
    entry.startedAt = Date.now();
    const context: ChannelContext = {
      inbound: async (message) => {
        const result = await this.inbound(entry, message);
        entry.lastInboundAt = Date.now();
        return result;
      },
      setStatus: (state, detail) => {
        entry.reported = true;
        this.setStatus(entry, state, detail ?? null);
      },
      log: this.log.child({ plugin: entry.owner.name, channel: channel.name }),
      signal: entry.abort.signal,
    };

    try {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.resolve().then(() => channel.start?.(context)),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(errors.pluginTimeout(entry.owner.name, `starting channel ${channel.name}`, CHANNEL_START_TIMEOUT_MS)), CHANNEL_START_TIMEOUT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
    } catch (error) {
      this.setStatus(entry, "disconnected", (error as Error).message ?? String(error));
      return error;
    }

    entry.started = true;
    // A channel that reported nothing while starting is taken as connected.
    if (!entry.reported) this.setStatus(entry, "ok", null);
    this.onAvailable(entry);
    return null;
  }

  private async stopEntry(entry: ChannelEntry): Promise<void> {
    entry.abort.abort();
    if (!entry.started) return;
    entry.started = false;
    try {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.resolve().then(() => entry.channel.stop?.()),
        new Promise((resolve) => {
          timer = setTimeout(resolve, CHANNEL_STOP_TIMEOUT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
    } catch (error) {
      this.log.warn({ plugin: entry.owner.name, channel: entry.channel.name, err: error }, "channel stop failed");
    }
    this.setStatus(entry, "disconnected", "stopped");
  }

  /** Stops every channel (shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all(this.names.values().map((entry) => this.stopEntry(entry)));
  }

  private setStatus(entry: ChannelEntry, state: ChannelState, detail: string | null): void {
    if (!CHANNEL_STATES.includes(state)) {
      this.log.warn({ plugin: entry.owner.name, channel: entry.channel.name, state }, "channel reported an unknown state; ignored");
      return;
    }
    detail = detail === null ? null : this.scrub(detail);
    const changed = entry.state !== state || entry.detail !== detail;
    const recovered = state === "ok" && (entry.state === "disconnected" || entry.state === "stale");
    entry.state = state;
    entry.detail = detail;
    if (!changed) return;

    this.store.channels.setState(entry.channel.name, entry.owner.name, state, detail, Date.now());
    void this.hooks.observe("onChannelStatus", { channel: entry.channel.name, state, detail });
    if (state === "ok" && entry.started) this.onAvailable(entry);
    if (recovered && entry.started) void this.backfill(entry);
  }

  /**
   * Fetches what arrived during an outage from a channel with `history()` and stores it.
   * Messages already stored are recognised by their platform id.
   */
  private async backfill(entry: ChannelEntry): Promise<void> {
    const { channel } = entry;
    if (typeof channel.history !== "function") return;
    const since = entry.lastInboundAt ?? entry.startedAt;
    const log = this.log.child({ plugin: entry.owner.name, channel: channel.name });
    try {
      const messages = await channel.history(since);
      let stored = 0;
      for (const message of messages) if (!(await this.inbound(entry, message)).duplicate) stored += 1;
      log.info({ since, received: messages.length, stored }, "backfilled messages missed while disconnected");
    } catch (error) {
      log.warn({ since, err: error }, "history() failed; messages missed while disconnected may be lost");
    }
  }

  /** Finds the channel owning `chat`. */
  entryForChat(chat: string): ChannelEntry | undefined {
    for (const [prefix, { value }] of this.prefixes.entriesList()) {
      if (hasPrefix(chat, prefix)) return value;
    }
    return undefined;
  }

  /** Throws CapabilityUnsupported unless the chat's channel declared `capability`. */
  require(chat: string, capability: Capability): ChannelEntry {
    const entry = this.entryForChat(chat);
    if (!entry || !entry.channel.capabilities[capability]) {
      throw new CapabilityUnsupported(entry?.channel.name ?? chat, capability);
    }
    return entry;
  }

  info(entry: ChannelEntry): ChannelInfo {
    return {
      name: entry.channel.name,
      plugin: entry.owner.name,
      prefixes: [...entry.channel.prefixes],
      capabilities: { ...entry.channel.capabilities },
      state: entry.state,
      detail: entry.detail,
      lastInboundAt: entry.lastInboundAt,
      fetchesAttachments: typeof entry.channel.fetchAttachment === "function",
      attachmentOrigins: [...(entry.channel.attachmentOrigins ?? [])],
    };
  }

  /** Downloads an attachment of `chat` through the channel that owns the chat. */
  async fetchAttachment(chat: string, ref: string): Promise<{ data: Uint8Array; mime: string }> {
    const entry = this.entryForChat(chat);
    if (!entry) throw new ArizukoError("ARZ_ERR_NO_CHANNEL", `no channel owns ${chat}`, { statusCode: 404 });
    if (typeof entry.channel.fetchAttachment !== "function") {
      throw new ArizukoError("ARZ_ERR_NO_ATTACHMENT_FETCH", `channel ${entry.channel.name} cannot download attachments by ref`, { statusCode: 501 });
    }
    return entry.channel.fetchAttachment(ref);
  }

  list(): ChannelInfo[] {
    return this.names.values().map((entry) => this.info(entry));
  }
}
