/**
 * The routing and run services plugins use through `host.routing` and `host.runs`:
 * the authority rule, explaining a message's route, sender roles, and control over
 * runs for commands such as `/stop`, `/new` and `/ping`.
 */
import type { ExplainInput, Explanation, RoutingApi, RunsApi, UnitStatus } from "@arizuko/sdk";
import { parseChatJid, parseSenderJid } from "@arizuko/sdk";
import type { Store } from "../store/index.js";
import type { MessageRecord } from "../store/messages.js";
import type { Admission } from "./admission.js";
import type { ChannelRegistry } from "./channels.js";
import type { Executor } from "./executor.js";
import { mayRoute, type Intake } from "./intake.js";
import type { RunQueue } from "./queue.js";

/** A message as a channel would deliver it, for explaining; it is never stored. */
function probe(input: ExplainInput): MessageRecord {
  parseChatJid(input.chat);
  parseSenderJid(input.sender);
  const now = Date.now();
  return {
    seq: 0,
    id: "explain",
    chat: input.chat,
    platformId: "explain",
    kind: "message",
    direction: "in",
    verb: input.verb ?? (input.replyTo ? "reply" : "message"),
    sender: input.sender,
    senderName: null,
    text: input.text,
    topic: input.topic ?? "",
    replyTo: input.replyTo ?? null,
    target: null,
    attachments: [],
    state: "pending",
    group: null,
    runId: null,
    routeLayer: null,
    routeReason: null,
    ts: now,
    storedAt: now,
    routeTopic: null,
    notes: [],
    files: [],
    role: null,
    routeText: null,
    origin: null,
    depth: 0,
  };
}

export function routingService(store: Store, intake: Intake, channels: ChannelRegistry, admission: Admission): RoutingApi {
  return {
    mayRoute,
    senderRole: (message) => admission.roleOf(message),
    async explain(input): Promise<Explanation> {
      const message = probe(input);
      const channel = channels.entryForChat(input.chat)?.channel.name ?? "unknown";
      const verdict = await intake.explain(message, channel);
      const { outcome } = verdict;
      const unit = outcome.state === "pending" && outcome.group ? { group: outcome.group, chat: input.chat, topic: outcome.routeTopic } : null;
      return {
        role: verdict.role,
        denial: verdict.denial,
        control: verdict.control
          ? { plugin: verdict.control.plugin, reason: String(verdict.control.result.reason ?? ""), reply: verdict.control.result.reply ?? null }
          : null,
        stages: verdict.stages.map(({ plugin, stage, decision }) => ({
          plugin,
          stage,
          target: decision.target,
          topic: decision.topic,
          layer: decision.layer,
          reason: decision.reason,
          mode: decision.mode,
        })),
        result: {
          state: outcome.state,
          group: outcome.group,
          owner: verdict.decision?.owner ?? null,
          topic: outcome.routeTopic,
          layer: outcome.layer,
          reason: outcome.reason,
          delegatedTo: outcome.delegateTo ?? null,
        },
        sessionId: unit ? store.sessions.get(unit).sessionId : null,
      };
    },
  };
}

/** `host.runs`; each plugin's host stamps `submit` with the plugin's name as the routing layer. */
export function runsService(store: Store, queue: RunQueue, executor: Executor, intake: Intake): RunsApi {
  return {
    submit: (input) => intake.inject(input, "core"),
    withdraw: (seq, reason) => store.messages.withdraw(seq, reason),
    stop: (chat, topic) => executor.stop("user", chat, topic),
    stopRun: (runId) => executor.stopRun("user", runId),
    resetSession: (chat, topic) => queue.resetSession(chat, topic),
    active: () => executor.liveRuns(),
    failures: (since) => store.messages.failures(since),
    status(chat): UnitStatus[] {
      const units = new Map<string, UnitStatus>();
      const key = (group: string, topic: string) => `${group}\u0000${topic}`;
      for (const session of store.sessions.forChat(chat)) {
        units.set(key(session.group, session.topic), { group: session.group, chat, topic: session.topic, sessionId: session.session_id, pending: 0, running: false });
      }
      for (const unit of store.messages.pendingUnits().filter((candidate) => candidate.chat === chat)) {
        const status = units.get(key(unit.group, unit.topic)) ?? { ...unit, sessionId: null, pending: 0, running: false };
        status.pending = store.messages.pendingForUnit(unit, 1000).length;
        units.set(key(unit.group, unit.topic), status);
      }
      for (const status of units.values()) status.running = queue.isActive(status);
      return [...units.values()];
    },
  };
}
