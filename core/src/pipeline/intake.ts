/**
 * Intake decides each committed inbound message's fate, one message at a time per
 * chat (so a sticky switch applies to the next message): admission, the control
 * phase, the resolution waterfall, enrichment, then the queue. The decision and its
 * reason are stored on the message. Intake is idempotent until it stores the
 * decision, so a crash in between only means it runs again at start-up.
 */
import type { RouteDecision, RunUnit } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { Hooks } from "../hooks/hooks.js";
import { isBusyError } from "../store/db.js";
import { GroupCommit } from "../store/group-commit.js";
import type { Store } from "../store/index.js";
import type { Decision, MessageRecord } from "../store/messages.js";
import type { GroupService } from "../groups/groups.js";
import type { Outbound } from "./outbound.js";

export const NO_ROUTE_REASON = "no route";
/** Wait before routing a message again when another process held the database too long. */
const BUSY_RETRY_MS = 1000;

export interface IntakeTarget {
  notify(unit: RunUnit): void;
}

/** Keeps only well-formed fields of what the resolution taps returned. */
function sanitize(value: unknown, fallbackTopic: string): RouteDecision {
  const decision = (typeof value === "object" && value !== null ? value : {}) as Partial<RouteDecision>;
  const text = (field: unknown) => (typeof field === "string" && field.length > 0 ? field : null);
  return {
    owner: text(decision.owner),
    target: text(decision.target),
    topic: typeof decision.topic === "string" ? decision.topic : fallbackTopic,
    mode: decision.mode === "observe" ? "observe" : "run",
    layer: text(decision.layer),
    reason: typeof decision.reason === "string" ? decision.reason : "",
  };
}

export class Intake {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly decisions: GroupCommit<{ seq: number; decision: Decision }, void>;

  constructor(
    private readonly store: Store,
    private readonly hooks: Hooks,
    private readonly groups: GroupService,
    private readonly outbound: Outbound,
    private readonly queue: IntakeTarget,
    private readonly log: Logger,
  ) {
    const write = ({ seq, decision }: { seq: number; decision: Decision }) => store.messages.decide(seq, decision);
    this.decisions = new GroupCommit(
      (items) => store.transaction(() => items.map(write)),
      (item) => store.transaction(() => write(item)),
      log,
      "routing decisions",
      "microtask",
    );
  }

  /** Queues `message` behind earlier messages of its chat. */
  submit(message: MessageRecord, channel: string): void {
    const previous = this.chains.get(message.chat) ?? Promise.resolve();
    const next = previous
      .then(() => this.process(message, channel))
      .catch((error: unknown) => {
        const ids = { chat: message.chat, seq: message.seq, messageId: message.id, err: error };
        if (isBusyError(error) || (error as { code?: unknown }).code === "ARZ_ERR_STORE_BUSY") {
          this.log.warn(ids, `database locked during intake; retrying in ${BUSY_RETRY_MS} ms`);
          setTimeout(() => this.submit(message, channel), BUSY_RETRY_MS).unref();
          return;
        }
        // The message stays pending and unrouted; start-up intake retries it.
        this.log.error(ids, "intake failed; message left for retry at start-up");
      });
    this.chains.set(message.chat, next);
    void next.finally(() => {
      if (this.chains.get(message.chat) === next) this.chains.delete(message.chat);
    });
  }

  /** Chats with intake work in flight (bounded by active chats; entries go when idle). */
  get activeChats(): number {
    return this.chains.size;
  }

  /** Resolves when every chat's intake queue has drained. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async process(message: MessageRecord, channel: string): Promise<void> {
    // 1. Admission: may this sender start runs at all?
    const denial = await this.hooks.gate("onAdmit", { message, channel });
    if (denial) {
      await this.settle(message, { state: "context", group: null, routeTopic: message.topic, layer: "admission", reason: `not admitted: ${denial.deny}` });
      void this.hooks.observe("afterRoute", { message, admitted: false, control: null, decision: null });
      return;
    }

    // 2. Control phase: sticky switches and commands, never also an agent turn.
    const control = await this.hooks.bail("onControl", message, { channel });
    if (control) {
      await this.settle(message, { state: "done", group: null, routeTopic: message.topic, layer: "control", reason: String(control.reason ?? "handled") });
      if (typeof control.reply === "string" && control.reply.length > 0) {
        this.outbound.notice({ chat: message.chat, topic: message.topic, text: control.reply, group: null, replyTo: message.platformId });
      }
      void this.hooks.observe("afterRoute", { message, admitted: true, control, decision: null });
      return;
    }

    // 3. Resolution: each routing layer may override the decision so far.
    const initial: RouteDecision = { owner: null, target: null, topic: message.topic, mode: "run", layer: null, reason: NO_ROUTE_REASON };
    const decision = sanitize(await this.hooks.waterfall("onResolve", initial, { message, channel }), message.topic);
    void this.hooks.observe("afterRoute", { message, admitted: true, control: null, decision });

    const group = decision.target !== null ? this.groups.get(decision.target) : null;
    const layer = decision.layer ?? "none";
    if (!group) {
      const reason = decision.target ? `${decision.reason}; group ${decision.target} does not exist` : decision.reason || NO_ROUTE_REASON;
      await this.settle(message, { state: "context", group: null, routeTopic: decision.topic, layer, reason });
      return;
    }
    if (decision.mode === "observe") {
      await this.settle(message, { state: "context", group: group.folder, routeTopic: decision.topic, layer, reason: decision.reason });
      return;
    }

    // 4. Enrichment, only for messages that will start or join a run.
    const enrichment = await this.hooks.waterfall("onEnrich", { notes: [] }, { message, group: group.folder, groupPath: group.path });
    const notes = Array.isArray(enrichment?.notes) ? enrichment.notes.filter((note) => typeof note === "string") : [];

    // 5. Queue.
    await this.settle(message, { state: "pending", group: group.folder, routeTopic: decision.topic, layer, reason: decision.reason, notes });
    const unit: RunUnit = { group: group.folder, chat: message.chat, topic: decision.topic };
    void this.hooks.observe("onEnqueue", { message, unit });
    this.queue.notify(unit);
  }

  /** Stores a decision; decisions of messages of different chats share one transaction. */
  private async settle(message: MessageRecord, decision: Decision): Promise<void> {
    await this.decisions.submit({ seq: message.seq, decision });
    this.log.debug({ chat: message.chat, seq: message.seq, state: decision.state, group: decision.group, layer: decision.layer, reason: decision.reason }, "message decided");
  }
}
