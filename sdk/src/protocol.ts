/**
 * The run protocol between the host and an agent runner: JSON lines on the runner's
 * stdin (host → agent) and stdout (agent → host). The runner opens with `hello`; every
 * other frame carries the `run_id` it belongs to; the runner exits when stdin closes.
 * docs/agent-protocol.md is the prose version of this file.
 */

import type { EnrichedFile } from "./hooks.js";

/** `major.minor`. A different major is refused by either side; minors only add optional fields. */
export const PROTOCOL_VERSION = "1.3";

/** Optional behaviours a runner announces in `hello`. */
export type AgentFeature = "steer" | "stop" | "sessions" | "usage";

/** One message of a run's batch; every string is the user's, unescaped. */
export interface BatchMessage {
  id: string;
  seq: number;
  sender: string;
  sender_name: string | null;
  text: string;
  kind: string;
  /** True for rows from the agent or the host (earlier replies, notices). */
  from_agent: boolean;
  reply_to: string | null;
  /** ISO 8601 time of the message. */
  time: string;
  /** Notes added by enrichment (transcripts, descriptions). */
  notes: string[];
  /** The message's attachments: stored paths (relative to the group folder), transcripts and errors. Absent from hosts before 1.3. */
  files?: EnrichedFile[];
}

/**
 * The capability in which the agent presents the run's token to the MCP socket: in the `initialize`
 * request, `capabilities.experimental["arizuko/run"] = { token }`. A connection whose
 * first request is not an `initialize` with this run's token is refused and closed.
 */
export const RUN_TOKEN_CAPABILITY = "arizuko/run";

/** Most connections one run's MCP socket accepts at a time. */
export const MAX_TOOL_CONNECTIONS = 8;

/** Host → agent: start a run. */
export interface RunFrame {
  type: "run";
  run_id: string;
  protocol: string;
  group: { folder: string; path: string };
  chat: string;
  topic: string;
  /** Session to resume, from an earlier `session` frame of this unit; null starts fresh. */
  session_id: string | null;
  /** Messages this run answers, oldest first. */
  messages: BatchMessage[];
  /** Recent chatter and replies of the unit, for reference only, oldest first. */
  context: BatchMessage[];
  /** The batch as one framed text with every user-controlled string escaped. */
  prompt: string;
  harness: { name: string; options: Record<string, unknown> };
  /**
   * The run's MCP endpoint: a unix socket speaking MCP as newline-delimited JSON-RPC
   * (the stdio framing), up for exactly this run, and the token to present on it
   * (`RUN_TOKEN_CAPABILITY`). Null when the host serves no tools to this run.
   */
  mcp: { socket: string; token: string } | null;
  /**
   * The run's model (since 1.1): an HTTP server on a unix socket, which takes the run's
   * token and adds the operator's key itself. `api` (since 1.2; absent means `openai`)
   * names the API it serves: `openai` is `POST /v1/chat/completions` and `GET /v1/models`
   * with `Authorization: Bearer <token>`; `anthropic` is `POST /v1/messages` (and
   * `/v1/messages/count_tokens`) with `x-api-key: <token>`. `models` are the model names
   * the run may ask for, the default first. Null when no model is configured.
   */
  model?: { socket: string; token: string; models: string[]; api?: ModelApi } | null;
  /** Milliseconds the run may take before the host sends `stop`. */
  deadline_ms: number;
}

/** The API a run's model socket speaks. */
export type ModelApi = "openai" | "anthropic";

/** Host → agent: more messages for the running run (only when the runner announced `steer`). */
export interface SteerFrame {
  type: "steer";
  run_id: string;
  messages: BatchMessage[];
  prompt: string;
}

/** Host → agent: finish now; the runner answers with `done` or `error`, or is killed after a grace period. */
export interface StopFrame {
  type: "stop";
  run_id: string;
  reason: "deadline" | "user" | "shutdown";
}

export type HostFrame = RunFrame | SteerFrame | StopFrame;

/** Agent → host, first line: protocol version, features and harnesses. `run_id` is null: no run exists yet. */
export interface HelloFrame {
  type: "hello";
  run_id: null;
  protocol: string;
  features: AgentFeature[];
  /** Names of the harnesses this runner offers, e.g. `["demo"]`; a `run` frame names one of them. */
  harnesses: string[];
}

/** Agent → host: streamed partial text (typing indicators, live views); never delivered as a message. */
export interface DeltaFrame {
  type: "delta";
  run_id: string;
  text: string;
}

/** Agent → host: a complete reply in Markdown; stored and delivered to the run's chat. */
export interface MessageFrame {
  type: "message";
  run_id: string;
  text: string;
  /** Platform id to reply to; defaults to the last message of the batch. */
  reply_to?: string | null;
}

/** Agent → host: the harness session to resume next time for this unit. */
export interface SessionFrame {
  type: "session";
  run_id: string;
  session_id: string;
}

export interface UsageFrame {
  type: "usage";
  run_id: string;
  input_tokens?: number;
  output_tokens?: number;
  cost_usd?: number;
  model?: string;
}

/** Agent → host: the run finished; the runner waits for the next `run`. */
export interface DoneFrame {
  type: "done";
  run_id: string;
  /**
   * (1.1) How many `steer` frames of this run the agent took into its reply. The host
   * returns the messages of later steers (sent as the run was ending) to the queue.
   * Absent means none.
   */
  steered?: number;
}

/** Agent → host: the run failed; the runner waits for the next `run`. */
export interface ErrorFrame {
  type: "error";
  run_id: string;
  code: string;
  message: string;
  /** False when running the same batch again cannot help (an unknown harness, say): the host skips its retry. */
  retryable?: boolean;
}

export type AgentFrame = HelloFrame | DeltaFrame | MessageFrame | SessionFrame | UsageFrame | DoneFrame | ErrorFrame;

/** The major part of a `major.minor` version string, or NaN when it has none. */
export function protocolMajor(version: string): number {
  const match = /^(\d+)\.\d+$/.exec(version);
  return match ? Number(match[1]) : Number.NaN;
}

/** Serialises one frame as a JSON line. */
export function encodeFrame(frame: HostFrame | AgentFrame): string {
  return JSON.stringify(frame) + "\n";
}
