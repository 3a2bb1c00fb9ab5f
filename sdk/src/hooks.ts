/**
 * Hook argument and result types. The host's catalog (core/src/hooks/catalog.ts)
 * creates one tapable hook per name below and declares its kind, timeout and
 * failure policy; docs/plugins.md lists them in a table.
 *
 * Kinds:
 * - `gate`: a security check. A tap may only deny (return `{ deny: reason }`); a tap
 *   that throws or times out denies. Nothing a plugin returns can widen the core's own decision.
 * - `waterfall`: each tap receives the previous tap's value and returns the next one
 *   (or undefined to keep it). A tap that throws or times out is skipped and its plugin marked degraded.
 * - `bail`: taps run in order until one returns a result. Failure policy as for waterfall.
 * - `observer`: taps run concurrently after the fact; errors are logged and counted.
 */
import type { AgentFrame, BatchMessage } from "./protocol.js";
import type { Attachment, OutboundChunk, StoredMessage } from "./messages.js";
import type { ChannelState } from "./channel.js";

export type HookKind = "gate" | "waterfall" | "bail" | "observer";

/** What a gate tap returns to deny; anything else lets the subject pass this tap. */
export interface Deny {
  deny: string;
}

/** The run's unit of work and of the agent session. */
export interface RunUnit {
  group: string;
  chat: string;
  topic: string;
}

/** `role` of whoever triggered a run, as grants see it. */
export type SenderRole = "operator" | "member" | "guest";

// Lifecycle

export interface BootEvent {
  dataDir: string;
}
export interface ReadyEvent {
  /** Base URL the HTTP server listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
}
export interface ShutdownEvent {
  reason: string;
}
export interface PluginErrorEvent {
  plugin: string;
  state: "degraded" | "failed";
  hook: string | null;
  error: string;
}

// Channels

export interface ChannelRegisterEvent {
  channel: string;
  plugin: string;
  prefixes: string[];
}
export interface ChannelStatusEvent {
  channel: string;
  state: ChannelState;
  detail: string | null;
}

// Inbound

export interface AfterStoreEvent {
  message: StoredMessage;
}
/**
 * Messages the host deleted: past their retention age, or by `arizuko chat purge`,
 * `user erase` or `group rm --purge`. A plugin that keeps data for these messages (an
 * uploaded file named by an attachment's `ref`, say) deletes it here.
 */
export interface AfterDeleteEvent {
  reason: "retention" | "purge";
  messages: Array<{ seq: number; chat: string; attachments: Attachment[] }>;
}
export interface AdmitSubject {
  message: StoredMessage;
  /** Name of the channel that owns the chat. */
  channel: string;
  /** True when the message is only being explained: decide, change nothing (no pairing codes sent). */
  dryRun: boolean;
}

// Routing

export interface ControlContext {
  channel: string;
  senderRole: SenderRole;
  /**
   * True when the message is only being explained (`arizuko route explain`): say what
   * would happen, change nothing (no pins, no commands run).
   */
  dryRun: boolean;
}
/** A control message was handled (sticky switch, command); it never also becomes an agent turn. */
export interface ControlResult {
  /** Text to send back to the chat, if any. */
  reply?: string;
  /** What was done, stored on the message. */
  reason: string;
  /** A message to route after this one, as if the sender had written it (`/new text`). */
  followUp?: { text: string; topic?: string };
}
/** The routing decision the resolution waterfall passes from stage to stage. */
export interface RouteDecision {
  /** Group whose authority the decision runs under (set by the table). */
  owner: string | null;
  /** Group that will handle the message; null means no route. */
  target: string | null;
  topic: string;
  /** `run` starts or joins a run; `observe` stores the message as context. */
  mode: "run" | "observe";
  /** Layer (plugin name) that made the current decision. */
  layer: string | null;
  reason: string;
  /** Text the agent should see instead of the message's own, when a layer stripped a prefix. */
  text?: string;
  /** Set when the message is delegated: `target` gets it as a message from the group `from`. */
  delegation?: { from: string };
}
export interface RouteContext {
  message: StoredMessage;
  channel: string;
  /** True when the message is only being explained: decide, change nothing. */
  dryRun: boolean;
}
export interface AfterRouteEvent {
  message: StoredMessage;
  admitted: boolean;
  control: ControlResult | null;
  decision: RouteDecision | null;
}

// Enrichment

/** Notes and files enrichment adds beside a message in the agent's batch (transcripts, captions). */
export interface Enrichment {
  notes: string[];
  /** The message's attachments as the agent should see them, one per attachment, in order. */
  files?: EnrichedFile[];
}

/** An attachment after enrichment: where it was stored for the agent, and what was learnt from it. */
export interface EnrichedFile {
  /** The file name as the sender gave it (shown escaped; never used as a path). */
  name: string;
  mime: string;
  size: number | null;
  /** Path relative to the group folder where the file was stored, or null when it was not. */
  path: string | null;
  /** Text heard in a voice note or audio file. */
  transcript?: string;
  /** The reason the file was not stored or not transcribed, in words for the agent. */
  error?: string;
}
export interface EnrichContext {
  message: StoredMessage;
  group: string;
  /** Absolute path of the group folder, where enrichers write received files. */
  groupPath: string;
}

// Queue and agent

export interface EnqueueEvent {
  message: StoredMessage;
  unit: RunUnit;
}
/** Everything a runner needs to start one run. `beforeAgentRun` taps may adjust it. */
export interface RunSpec {
  runId: string;
  unit: RunUnit;
  /** 1 for a first attempt, 2 for the single retry of a failed batch. */
  attempt: number;
  sessionId: string | null;
  messages: BatchMessage[];
  context: BatchMessage[];
  harness: { name: string; options: Record<string, unknown> };
  /** Milliseconds before the host stops the run. */
  deadlineMs: number;
  groupPath: string;
  senderRole: SenderRole;
}
export interface PromptBuildContext {
  spec: RunSpec;
}
export interface PromptBuild {
  prompt: string;
}
export interface AgentStartEvent {
  runId: string;
  unit: RunUnit;
  attempt: number;
}
export interface AgentOutputEvent {
  runId: string;
  unit: RunUnit;
  frame: AgentFrame;
}
export type RunOutcome = "done" | "failed" | "timed_out" | "stopped" | "abandoned";
export interface AfterAgentRunEvent {
  runId: string;
  unit: RunUnit;
  outcome: RunOutcome;
  /** Replies the run stored for delivery. */
  delivered: number;
  durationMs: number;
  error: string | null;
}
export interface AgentErrorEvent {
  runId: string;
  unit: RunUnit;
  code: string;
  message: string;
}

// Tools

export interface ToolRegisterEvent {
  tool: string;
  plugin: string;
}
export interface ToolCallSubject {
  tool: string;
  /** The validated arguments, with the tool's defaults filled in. */
  args: Record<string, unknown>;
  runId: string;
  group: string;
  chat: string;
  topic: string;
  senderRole: SenderRole;
  /** The group that delegated this run's messages, whose grants bound the run's; null otherwise. */
  delegatedBy: string | null;
}
export type ToolCallVerdict = "ok" | "error" | "denied" | "invalid" | "timeout" | "unknown";
export interface AfterToolCallEvent {
  tool: string;
  runId: string;
  group: string;
  ok: boolean;
  verdict: ToolCallVerdict;
  durationMs: number;
  /** Why the call failed or was denied; null when it succeeded. */
  error: string | null;
}

// Outbound

export interface OutboundFormat {
  text: string;
}
export interface OutboundContext {
  chunk: OutboundChunk;
  channel: string;
}
export interface AfterDeliveryEvent {
  chunk: OutboundChunk;
  channel: string;
  platformMessageId: string;
}
export interface DeliveryFailedEvent {
  chunk: OutboundChunk;
  channel: string;
  error: string;
}

// Identity

export interface AuthenticateSubject {
  user: string;
  provider: string;
}
export interface UserCreatedEvent {
  user: string;
}
export interface GrantCheckSubject {
  action: string;
  params: Record<string, string>;
  group: string;
  senderRole: SenderRole;
}

// Schedule

export interface TaskDueEvent {
  taskId: string;
  group: string;
}
export interface AfterTaskRunEvent {
  taskId: string;
  runId: string | null;
  outcome: RunOutcome;
}

/** A hook's kind, its tap arguments and what a tap returns. */
export interface GateHook<S> {
  kind: "gate";
  args: [S];
  result: Deny | undefined | void;
}
export interface WaterfallHook<V, C> {
  kind: "waterfall";
  args: [V, C];
  result: V | undefined | void;
}
export interface BailHook<S, C, R> {
  kind: "bail";
  args: [S, C];
  result: R | undefined | void;
}
export interface ObserverHook<E> {
  kind: "observer";
  args: [E];
  result: void;
}

/** The whole catalog by name. */
export interface HookTypes {
  onBoot: ObserverHook<BootEvent>;
  onReady: ObserverHook<ReadyEvent>;
  onShutdown: ObserverHook<ShutdownEvent>;
  onPluginError: ObserverHook<PluginErrorEvent>;

  onChannelRegister: ObserverHook<ChannelRegisterEvent>;
  onChannelStatus: ObserverHook<ChannelStatusEvent>;

  afterStore: ObserverHook<AfterStoreEvent>;
  afterDelete: ObserverHook<AfterDeleteEvent>;
  onAdmit: GateHook<AdmitSubject>;

  onControl: BailHook<StoredMessage, ControlContext, ControlResult>;
  onResolve: WaterfallHook<RouteDecision, RouteContext>;
  afterRoute: ObserverHook<AfterRouteEvent>;

  onEnrich: WaterfallHook<Enrichment, EnrichContext>;

  onEnqueue: ObserverHook<EnqueueEvent>;
  beforeAgentRun: WaterfallHook<RunSpec, RunUnit>;
  onPromptBuild: WaterfallHook<PromptBuild, PromptBuildContext>;
  onAgentStart: ObserverHook<AgentStartEvent>;
  onAgentOutput: ObserverHook<AgentOutputEvent>;
  afterAgentRun: ObserverHook<AfterAgentRunEvent>;
  onAgentError: ObserverHook<AgentErrorEvent>;

  onToolRegister: ObserverHook<ToolRegisterEvent>;
  beforeToolCall: GateHook<ToolCallSubject>;
  afterToolCall: ObserverHook<AfterToolCallEvent>;

  onOutbound: WaterfallHook<OutboundFormat, OutboundContext>;
  afterDelivery: ObserverHook<AfterDeliveryEvent>;
  onDeliveryFailed: ObserverHook<DeliveryFailedEvent>;

  onAuthenticate: GateHook<AuthenticateSubject>;
  onUserCreated: ObserverHook<UserCreatedEvent>;
  onGrantCheck: GateHook<GrantCheckSubject>;

  onTaskDue: ObserverHook<TaskDueEvent>;
  afterTaskRun: ObserverHook<AfterTaskRunEvent>;
}

export type HookName = keyof HookTypes;

export type TapFunction<K extends HookName> = (
  ...args: HookTypes[K]["args"]
) => Promise<HookTypes[K]["result"]> | HookTypes[K]["result"];

export interface TapOptions {
  /** Lower stages run first; routing layers use 100, 200, 300, 400. Default 0. */
  stage?: number;
}

/** Removes a registration; calling it twice is harmless. */
export type Disposer = () => void;

/** `host.hooks`: taps are named after the plugin and removed when it stops. */
export type HostHooks = {
  [K in HookName]: {
    tap(fn: TapFunction<K>, options?: TapOptions): Disposer;
  };
};
