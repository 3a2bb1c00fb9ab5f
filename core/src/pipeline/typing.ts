/**
 * The typing indicator while an agent works. From a run's start until it ends, the
 * channel of the run's chat shows "typing…" there, refreshed every
 * `capabilities.typingRefreshMs` because platforms show each indicator for a few
 * seconds only. A failed indicator is logged at debug level; it never touches the run.
 */
import type { Disposer } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { Hooks } from "../hooks/hooks.js";
import type { ChannelRegistry } from "./channels.js";

/** Refresh period for channels that do not declare one: under the five seconds Telegram shows an indicator. */
export const DEFAULT_TYPING_REFRESH_MS = 4000;

export class TypingIndicators {
  private readonly active = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly channels: ChannelRegistry,
    private readonly log: Logger,
  ) {}

  tap(hooks: Hooks): Disposer {
    const disposers = [
      hooks.tap("onAgentStart", "core", ({ runId, unit }) => this.start(runId, unit.chat, unit.topic)),
      hooks.tap("afterAgentRun", "core", ({ runId }) => this.stop(runId)),
    ];
    return () => {
      disposers.forEach((dispose) => dispose());
      this.stopAll();
    };
  }

  private start(runId: string, chat: string, topic: string): void {
    const entry = this.channels.entryForChat(chat);
    const channel = entry?.channel;
    if (!channel?.capabilities.typing || typeof channel.typing !== "function") return;

    const show = () => {
      if (!entry!.started) return;
      Promise.resolve()
        .then(() => channel.typing!(chat, topic))
        .catch((error: unknown) => this.log.debug({ plugin: entry!.owner.name, channel: channel.name, chat, runId, err: error }, "typing indicator failed"));
    };
    show();
    this.active.set(runId, setInterval(show, channel.capabilities.typingRefreshMs ?? DEFAULT_TYPING_REFRESH_MS));
  }

  private stop(runId: string): void {
    clearInterval(this.active.get(runId));
    this.active.delete(runId);
  }

  /** Clears every indicator (shutdown). */
  stopAll(): void {
    for (const timer of this.active.values()) clearInterval(timer);
    this.active.clear();
  }
}
