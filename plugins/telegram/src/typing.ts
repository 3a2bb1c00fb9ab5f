/**
 * The typing indicator while an agent works: from a run's start until it ends, each
 * bot shows "typing…" in the run's chat (and forum topic), refreshed before Telegram's
 * five seconds run out. A failed indicator is only logged; it never touches the run.
 */
import type { Channel, Host } from "@arizuko/sdk";

export function showTyping(host: Host, channels: Channel[], refreshMs: number): void {
  const active = new Map<string, NodeJS.Timeout>();

  host.hooks.onAgentStart.tap(({ runId, unit }) => {
    const channel = channels.find((candidate) => candidate.prefixes.some((prefix) => unit.chat.startsWith(prefix)));
    if (!channel?.typing) return;
    const show = () => {
      channel.typing!(unit.chat, unit.topic).catch((error: unknown) => host.log.debug({ err: error, chat: unit.chat, runId }, "typing indicator failed"));
    };
    show();
    active.set(runId, setInterval(show, refreshMs));
  });

  host.hooks.afterAgentRun.tap(({ runId }) => {
    clearInterval(active.get(runId));
    active.delete(runId);
  });

  host.hooks.onShutdown.tap(() => {
    for (const timer of active.values()) clearInterval(timer);
    active.clear();
  });
}
