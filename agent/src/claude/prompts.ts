/**
 * The prompt stream of one run. Claude Code reads user messages from it for as long as
 * it stays open: a message that arrives during the run (a steer) becomes the next turn
 * of the same session. Ending the stream ends the run.
 */
import type { SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";

export class PromptStream implements AsyncIterable<SDKUserMessage> {
  private readonly queued: SDKUserMessage[] = [];
  private wake: (() => void) | null = null;
  private ended = false;

  push(text: string): void {
    if (this.ended) return;
    this.queued.push({ type: "user", message: { role: "user", content: text }, parent_tool_use_id: null });
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SDKUserMessage> {
    for (;;) {
      const next = this.queued.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }
}
