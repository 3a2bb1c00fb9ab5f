/**
 * The hook catalog: every hook the host offers, with its stage, kind, timeout and
 * failure policy, and the tapable hook behind it. Argument and result types live in
 * @arizuko/sdk (`HookTypes`); this file is the single list a reader scans first.
 *
 * Failure policies, by kind:
 *   gate       a tap may only deny; a tap that throws or times out denies
 *   waterfall  a failing or hung tap is skipped (the value passes on unchanged) and its plugin is degraded
 *   bail       a failing or hung tap is skipped and its plugin is degraded
 *   observer   taps run concurrently; errors and timeouts are logged and counted
 */
import type { HookKind, HookName, HookTypes } from "@arizuko/sdk";
import { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesWaterfallHook } from "tapable";

export type HookStage =
  | "lifecycle"
  | "channels"
  | "inbound"
  | "routing"
  | "enrichment"
  | "agent"
  | "tools"
  | "outbound"
  | "identity"
  | "schedule";

export type FailurePolicy = "deny" | "skip" | "log";

export interface HookSpec {
  stage: HookStage;
  kind: HookKind;
  /** A tap that has not settled after this many milliseconds counts as failed. */
  timeoutMs: number;
}

export const POLICY_BY_KIND: Record<HookKind, FailurePolicy> = {
  gate: "deny",
  waterfall: "skip",
  bail: "skip",
  observer: "log",
};

// Timeouts: gates and routing sit on every message's path, so they get little time;
// enrichment may download media; lifecycle taps may open connections.
const GATE_MS = 2_000;
const ROUTING_MS = 5_000;
const ENRICH_MS = 60_000;
const FLOW_MS = 5_000;
const OBSERVER_MS = 10_000;
const LIFECYCLE_MS = 30_000;

export const HOOK_CATALOG = {
  onBoot: { stage: "lifecycle", kind: "observer", timeoutMs: LIFECYCLE_MS },
  onReady: { stage: "lifecycle", kind: "observer", timeoutMs: LIFECYCLE_MS },
  onShutdown: { stage: "lifecycle", kind: "observer", timeoutMs: LIFECYCLE_MS },
  onPluginError: { stage: "lifecycle", kind: "observer", timeoutMs: OBSERVER_MS },

  onChannelRegister: { stage: "channels", kind: "observer", timeoutMs: OBSERVER_MS },
  onChannelStatus: { stage: "channels", kind: "observer", timeoutMs: OBSERVER_MS },

  afterStore: { stage: "inbound", kind: "observer", timeoutMs: OBSERVER_MS },
  afterDelete: { stage: "inbound", kind: "observer", timeoutMs: OBSERVER_MS },
  onAdmit: { stage: "inbound", kind: "gate", timeoutMs: GATE_MS },

  onControl: { stage: "routing", kind: "bail", timeoutMs: ROUTING_MS },
  onResolve: { stage: "routing", kind: "waterfall", timeoutMs: ROUTING_MS },
  afterRoute: { stage: "routing", kind: "observer", timeoutMs: OBSERVER_MS },

  onEnrich: { stage: "enrichment", kind: "waterfall", timeoutMs: ENRICH_MS },

  onEnqueue: { stage: "agent", kind: "observer", timeoutMs: OBSERVER_MS },
  beforeAgentRun: { stage: "agent", kind: "waterfall", timeoutMs: FLOW_MS },
  onPromptBuild: { stage: "agent", kind: "waterfall", timeoutMs: FLOW_MS },
  onAgentStart: { stage: "agent", kind: "observer", timeoutMs: OBSERVER_MS },
  onAgentOutput: { stage: "agent", kind: "observer", timeoutMs: OBSERVER_MS },
  afterAgentRun: { stage: "agent", kind: "observer", timeoutMs: OBSERVER_MS },
  onAgentError: { stage: "agent", kind: "observer", timeoutMs: OBSERVER_MS },

  onToolRegister: { stage: "tools", kind: "observer", timeoutMs: OBSERVER_MS },
  beforeToolCall: { stage: "tools", kind: "gate", timeoutMs: GATE_MS },
  afterToolCall: { stage: "tools", kind: "observer", timeoutMs: OBSERVER_MS },

  onOutbound: { stage: "outbound", kind: "waterfall", timeoutMs: FLOW_MS },
  afterDelivery: { stage: "outbound", kind: "observer", timeoutMs: OBSERVER_MS },
  onDeliveryFailed: { stage: "outbound", kind: "observer", timeoutMs: OBSERVER_MS },

  onAuthenticate: { stage: "identity", kind: "gate", timeoutMs: GATE_MS },
  onUserCreated: { stage: "identity", kind: "observer", timeoutMs: OBSERVER_MS },
  onGrantCheck: { stage: "identity", kind: "gate", timeoutMs: GATE_MS },

  onTaskDue: { stage: "schedule", kind: "observer", timeoutMs: OBSERVER_MS },
  afterTaskRun: { stage: "schedule", kind: "observer", timeoutMs: OBSERVER_MS },
} as const satisfies { [K in HookName]: HookSpec & { kind: HookTypes[K]["kind"] } };

export const HOOK_NAMES = Object.keys(HOOK_CATALOG) as HookName[];

/** The tapable hook class behind each kind. */
export type TapableHook =
  | AsyncParallelHook<[unknown]>
  | AsyncSeriesBailHook<[unknown], unknown>
  | AsyncSeriesBailHook<[unknown, unknown], unknown>
  | AsyncSeriesWaterfallHook<[unknown, unknown]>;

export function createTapableHook(name: HookName): TapableHook {
  switch (HOOK_CATALOG[name].kind) {
    case "observer":
      return new AsyncParallelHook<[unknown]>(["event"], name);
    case "gate":
      return new AsyncSeriesBailHook<[unknown], unknown>(["subject"], name);
    case "bail":
      return new AsyncSeriesBailHook<[unknown, unknown], unknown>(["subject", "context"], name);
    case "waterfall":
      return new AsyncSeriesWaterfallHook<[unknown, unknown]>(["value", "context"], name);
  }
}
