/**
 * Intake decides each committed inbound message's fate, one message at a time per
 * chat (so a sticky switch applies to the next message):
 *
 *   1. admission (`onAdmit`): may this sender start runs?
 *   2. the control phase (`onControl`): sticky switches and commands, never an agent turn
 *   3. the resolution waterfall (`onResolve`): table, sticky, reply, prefix
 *   4. delegation, observe mode, or enrichment (`onEnrich`) and the queue
 *
 * The decision and its reason are stored on the message. `explain` runs steps 1-3 on a
 * message without changing anything and reports each step, through the same code the
 * live pipeline uses. Intake is idempotent until it stores the decision, so a crash in
 * between only means it runs again at start-up.
 */
import type { ControlResult, EnrichedFile, RouteDecision, RunUnit, SenderRole, SubmitInput } from "@arizuko/sdk";
import { localJid, parentFolder, parseChatJid } from "@arizuko/sdk";
import type { Logger } from "pino";
import { errors } from "../errors.js";
import type { GroupService } from "../groups/groups.js";
import type { Hooks } from "../hooks/hooks.js";
import { newId } from "../ids.js";
import { isBusyError, noteBusy } from "../store/db.js";
import { GroupCommit } from "../store/group-commit.js";
import type { Store } from "../store/index.js";
import type { Decision, MessageRecord } from "../store/messages.js";
import type { Admission } from "./admission.js";
import type { Outbound } from "./outbound.js";

export const NO_ROUTE_REASON = "no route";
/** Wait before routing a message again when another process held the database too long. */
const BUSY_RETRY_MS = 1000;
/** Platform-id suffix of a command's follow-up message: it is routed, never taken as a command. */
export const FOLLOW_UP_SUFFIX = "#follow-up";

export interface IntakeTarget {
  notify(unit: RunUnit): void;
}

/**
 * The default rule of routing authority: a group may route or delegate to itself and
 * its direct children. Every layer asks this one function.
 */
// TODO: grants may widen this once they exist; today the default is the whole rule.
export function mayRoute(owner: string | null, target: string): boolean {
  if (owner === null) return false;
  return target === owner || parentFolder(target) === owner;
}

/** What intake decided (or would decide) for one message, step by step. */
export interface Verdict {
  role: SenderRole;
  /** Why the sender may not start runs, or null when admitted. */
  denial: string | null;
  /** The plugin that handled a control message and its result. */
  control: { plugin: string; result: ControlResult } | null;
  /** The decision after each resolution stage, in order. */
  stages: Array<{ plugin: string; stage: number; decision: RouteDecision }>;
  /** The final resolution decision (after the last stage). */
  decision: RouteDecision | null;
  /** What is stored on the message, and what happens next. */
  outcome: Decision & { delegateTo?: string; delegateFrom?: string; notice?: string };
}

/** Keeps only well-formed fields of what the resolution taps returned. */
function sanitize(value: unknown, fallbackTopic: string): RouteDecision {
  const decision = (typeof value === "object" && value !== null ? value : {}) as Partial<RouteDecision>;
  const text = (field: unknown) => (typeof field === "string" && field.length > 0 ? field : null);
  const from = text(decision.delegation?.from);
  return {
    owner: text(decision.owner),
    target: text(decision.target),
    topic: typeof decision.topic === "string" ? decision.topic : fallbackTopic,
    mode: decision.mode === "observe" ? "observe" : "run",
    layer: text(decision.layer),
    reason: typeof decision.reason === "string" ? decision.reason : "",
    ...(typeof decision.text === "string" && { text: decision.text }),
    ...(from !== null && { delegation: { from } }),
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
    private readonly admission: Admission,
    private readonly maxDelegationDepth: number,
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
          if (isBusyError(error)) noteBusy();
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

  /** Decides `message` without changing anything: the verdict `submit` would act on. */
  explain(message: MessageRecord, channel: string): Promise<Verdict> {
    return this.decide(message, channel, true);
  }

  private async process(message: MessageRecord, channel: string): Promise<void> {
    const verdict = await this.decide(message, channel, false);
    void this.hooks.observe("afterRoute", {
      message,
      admitted: verdict.denial === null,
      control: verdict.control?.result ?? null,
      decision: verdict.decision,
    });
    await this.apply(message, channel, verdict);
  }

  private async decide(message: MessageRecord, channel: string, dryRun: boolean): Promise<Verdict> {
    const role = this.admission.roleOf(message);
    const verdict: Verdict = { role, denial: null, control: null, stages: [], decision: null, outcome: this.contextOutcome(message, "none", NO_ROUTE_REASON) };

    // 1. Admission: may this sender start runs at all?
    const denial = await this.hooks.gate("onAdmit", { message, channel, dryRun });
    if (denial) {
      verdict.denial = denial.deny;
      verdict.outcome = this.contextOutcome(message, "admission", `not admitted: ${denial.deny}`);
      return verdict;
    }

    // 2. Control phase; a command's follow-up is ordinary text.
    if (!message.platformId.endsWith(FOLLOW_UP_SUFFIX)) {
      const control = await this.hooks.bailWithPlugin("onControl", message, { channel, senderRole: role, dryRun });
      if (control) {
        verdict.control = control;
        verdict.outcome = { state: "done", group: null, routeTopic: message.topic, layer: control.plugin, reason: String(control.result.reason ?? "handled") };
        return verdict;
      }
    }

    // 3. Resolution: each routing layer may override the decision so far.
    // A follow-up of `/new #name text` arrives with its session topic already chosen.
    const topic = message.routeTopic ?? message.topic;
    const initial: RouteDecision = { owner: null, target: null, topic, mode: "run", layer: null, reason: NO_ROUTE_REASON };
    const { value, steps } = await this.hooks.waterfallSteps("onResolve", initial, { message, channel, dryRun });
    verdict.stages = steps.map((step) => ({ plugin: step.plugin, stage: step.stage, decision: sanitize(step.value, topic) }));
    const decision = sanitize(value, topic);
    verdict.decision = decision;
    verdict.outcome = this.outcomeOf(message, decision);
    return verdict;
  }

  private contextOutcome(message: MessageRecord, layer: string, reason: string): Verdict["outcome"] {
    return { state: "context", group: null, routeTopic: message.topic, layer, reason };
  }

  /** 4. What the resolution decision means for the stored message. */
  private outcomeOf(message: MessageRecord, decision: RouteDecision): Verdict["outcome"] {
    const layer = decision.layer ?? "none";
    const group = decision.target !== null ? this.groups.get(decision.target) : null;
    if (!group) {
      const reason = decision.target ? `${decision.reason}; group ${decision.target} does not exist` : decision.reason || NO_ROUTE_REASON;
      return { state: "context", group: null, routeTopic: decision.topic, layer, reason };
    }

    // An observe route only listens: not even a delegation starts a run there.
    if (decision.delegation && decision.mode !== "observe") {
      if (message.depth + 1 > this.maxDelegationDepth) {
        const reason = `delegation to ${group.folder} refused: messages may be delegated at most ${this.maxDelegationDepth} deep`;
        return { state: "context", group: null, routeTopic: decision.topic, layer, reason, notice: `Not delegated: ${reason}.` };
      }
      return {
        state: "done",
        group: group.folder,
        routeTopic: decision.topic,
        layer,
        reason: decision.reason,
        delegateTo: group.folder,
        delegateFrom: decision.delegation.from,
        routeText: decision.text ?? null,
      };
    }

    const state = decision.mode === "observe" ? "context" : "pending";
    return { state, group: group.folder, routeTopic: decision.topic, layer, reason: decision.reason, routeText: decision.text ?? null };
  }

  private async apply(message: MessageRecord, channel: string, verdict: Verdict): Promise<void> {
    const { outcome } = verdict;

    if (verdict.control) return this.applyControl(message, channel, verdict.control.result, outcome);
    if (outcome.delegateTo) return this.delegate(message, outcome);

    if (outcome.state !== "pending") {
      if (outcome.notice) this.outbound.notice({ chat: message.chat, topic: message.topic, text: outcome.notice, group: null, replyTo: message.platformId });
      return this.settle(message, outcome);
    }

    // Enrichment, only for messages that will start or join a run.
    const groupPath = this.groups.path(outcome.group!);
    const enrichment = await this.hooks.waterfall("onEnrich", { notes: [] }, { message, group: outcome.group!, groupPath });
    const notes = Array.isArray(enrichment?.notes) ? enrichment.notes.filter((note) => typeof note === "string") : [];
    const files = Array.isArray(enrichment?.files) ? enrichment.files.flatMap(checkedFile) : [];

    await this.settle(message, { ...outcome, notes, files });
    const unit: RunUnit = { group: outcome.group!, chat: message.chat, topic: outcome.routeTopic };
    void this.hooks.observe("onEnqueue", { message, unit });
    this.queue.notify(unit);
  }

  private async applyControl(message: MessageRecord, channel: string, control: ControlResult, outcome: Decision): Promise<void> {
    await this.settle(message, outcome);
    if (typeof control.reply === "string" && control.reply.length > 0) {
      this.outbound.notice({ chat: message.chat, topic: message.topic, text: control.reply, group: null, replyTo: message.platformId });
    }
    if (!control.followUp || control.followUp.text.trim().length === 0) return;

    // The follow-up goes through routing as if the sender had written it after the command.
    const followUp = this.store.messages.insertDerived(
      {
        chat: message.chat,
        topic: message.topic,
        ...(control.followUp.topic !== undefined && { routeTopic: control.followUp.topic }),
        platformId: `${message.platformId}${FOLLOW_UP_SUFFIX}`,
        sender: message.sender,
        senderName: message.senderName,
        text: control.followUp.text,
        replyTo: null,
        origin: null,
        depth: message.depth,
      },
      Date.now(),
    );
    if (followUp) {
      void this.hooks.observe("afterStore", { message: followUp });
      this.submit(followUp, channel);
    }
  }

  /**
   * Delegation: the message is done, and the target group gets it as a message from the
   * delegating group (`local:<from>`), in the same chat and topic, carrying its origin.
   * Both rows change in one transaction, so a crash never leaves one without the other.
   */
  private async delegate(message: MessageRecord, outcome: Verdict["outcome"]): Promise<void> {
    const target = outcome.delegateTo!;
    const now = Date.now();
    const delegated = this.store.transaction(() => {
      const row = this.store.messages.insertDerived(
        {
          chat: message.chat,
          topic: message.topic,
          platformId: `${message.platformId}#delegated:${target}`,
          sender: localJid(outcome.delegateFrom!),
          senderName: null,
          text: outcome.routeText ?? message.text,
          replyTo: message.platformId,
          origin: { chat: message.chat, topic: message.topic, message: message.id },
          depth: message.depth + 1,
        },
        now,
      );
      this.store.messages.decide(message.seq, { ...outcome, reason: `${outcome.reason}; delegated to ${target}` });
      if (row) {
        this.store.messages.decide(row.seq, {
          state: "pending",
          group: target,
          routeTopic: outcome.routeTopic,
          layer: "delegation",
          reason: `delegated by ${outcome.delegateFrom} from message ${message.id}`,
        });
      }
      return row;
    });
    if (!delegated) return;

    const stored = this.store.messages.bySeq(delegated.seq)!;
    void this.hooks.observe("afterStore", { message: stored });
    const unit: RunUnit = { group: target, chat: message.chat, topic: outcome.routeTopic };
    void this.hooks.observe("onEnqueue", { message: stored, unit });
    this.queue.notify(unit);
  }

  /**
   * Delegation by an agent (`delegate_group`, `escalate_group`): a message for `to`
   * from `local:<from>` in the run's chat and topic, pointing at the message the run
   * answers. Same form and unit as a `@child` delegation; the caller checked authority.
   */
  handOff(input: { from: string; to: string; chat: string; thread: string; routeTopic: string; text: string; origin: MessageRecord | null; depth: number }): MessageRecord {
    if (input.depth > this.maxDelegationDepth) throw errors.delegationTooDeep(input.to, this.maxDelegationDepth);
    const now = Date.now();
    const row = this.store.transaction(() => {
      const inserted = this.store.messages.insertDerived(
        {
          chat: input.chat,
          topic: input.thread,
          platformId: `${input.origin?.platformId ?? "run"}#delegated:${input.to}:${newId("dlg")}`,
          sender: localJid(input.from),
          senderName: null,
          text: input.text,
          replyTo: input.origin?.platformId ?? null,
          origin: { chat: input.chat, topic: input.thread, message: input.origin?.id ?? "" },
          depth: input.depth,
        },
        now,
      )!;
      this.store.messages.decide(inserted.seq, {
        state: "pending",
        group: input.to,
        routeTopic: input.routeTopic,
        layer: "delegation",
        reason: `delegated by ${input.from} through a tool`,
      });
      return inserted;
    });

    const stored = this.store.messages.bySeq(row.seq)!;
    void this.hooks.observe("afterStore", { message: stored });
    const unit: RunUnit = { group: input.to, chat: input.chat, topic: input.routeTopic };
    void this.hooks.observe("onEnqueue", { message: stored, unit });
    this.queue.notify(unit);
    return stored;
  }

  /**
   * Stores a plugin's prompt for `group` (a scheduled task's) as a message from the group
   * itself, already routed to its unit with the plugin as the layer, and queues it. The
   * row and its decision are one transaction. A platform id stored before gives null.
   */
  inject(input: SubmitInput, plugin: string): MessageRecord | null {
    parseChatJid(input.chat);
    if (!this.groups.get(input.group)) throw errors.groupNotFound(input.group);
    const thread = input.thread ?? "";
    const routeTopic = input.topic ?? thread;

    const row = this.store.transaction(() => {
      const inserted = this.store.messages.insertDerived(
        {
          chat: input.chat,
          topic: thread,
          routeTopic,
          platformId: input.platformId,
          sender: localJid(input.group),
          senderName: input.senderName,
          text: input.text,
          replyTo: null,
          origin: null,
          depth: 0,
          role: input.role,
        },
        Date.now(),
      );
      if (inserted) this.store.messages.decide(inserted.seq, { state: "pending", group: input.group, routeTopic, layer: plugin, reason: input.reason });
      return inserted;
    });
    if (!row) return null;

    const stored = this.store.messages.bySeq(row.seq)!;
    void this.hooks.observe("afterStore", { message: stored });
    const unit: RunUnit = { group: input.group, chat: input.chat, topic: routeTopic };
    void this.hooks.observe("onEnqueue", { message: stored, unit });
    this.queue.notify(unit);
    return stored;
  }

  /** Stores a decision; decisions of messages of different chats share one transaction. */
  private async settle(message: MessageRecord, decision: Decision): Promise<void> {
    await this.decisions.submit({ seq: message.seq, decision });
    this.log.debug({ chat: message.chat, seq: message.seq, state: decision.state, group: decision.group, layer: decision.layer, reason: decision.reason }, "message decided");
  }
}

/** Keeps an enricher's file entry only in the shape the prompt expects; anything else is dropped. */
function checkedFile(file: unknown): EnrichedFile[] {
  const entry = file as Partial<EnrichedFile> | null;
  if (!entry || typeof entry.name !== "string" || typeof entry.mime !== "string") return [];
  return [
    {
      name: entry.name,
      mime: entry.mime,
      size: typeof entry.size === "number" ? entry.size : null,
      path: typeof entry.path === "string" ? entry.path : null,
      ...(typeof entry.transcript === "string" && { transcript: entry.transcript }),
      ...(typeof entry.error === "string" && { error: entry.error }),
    },
  ];
}
