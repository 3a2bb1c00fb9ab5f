/**
 * A harness answers one run: it builds its prompt from the group folder and the batch,
 * talks to its model, and emits frames. The agent runner picks one by the run frame's
 * `harness.name`.
 */
import type { AgentFeature, AgentFrame, RunFrame, SteerFrame } from "@arizuko/sdk";

/** Frames a harness emits; the runner adds `run_id`. */
export type HarnessFrame =
  | { type: "delta"; text: string }
  | { type: "message"; text: string; reply_to?: string | null }
  | { type: "session"; session_id: string }
  | { type: "usage"; input_tokens?: number; output_tokens?: number; cost_usd?: number; model?: string };

export interface HarnessContext {
  frame: RunFrame;
  emit(frame: HarnessFrame): void;
  /**
   * Takes the `steer` frames that arrived since the last call: messages sent during the
   * run. A harness that announces `steer` takes them before its final reply; the host
   * hands the messages of steers it did not take to the next run.
   */
  takeSteers(): SteerFrame[];
  /** Aborted when the host sends `stop` or closes stdin. */
  signal: AbortSignal;
}

export interface Harness {
  name: string;
  features: AgentFeature[];
  /** Resolves when the run is answered; rejects to report an error frame. */
  run(context: HarnessContext): Promise<void>;
}

export type { AgentFrame };
