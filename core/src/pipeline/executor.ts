/**
 * The run executor: takes a unit's pending messages, runs the agent on them and
 * settles them. One attempt is:
 *
 *   1. claim the messages for a new run (one transaction with the run row);
 *   2. build the run spec and prompt (`beforeAgentRun`, `onPromptBuild`);
 *   3. start the runner and relay its frames: replies are stored for delivery as they come;
 *   4. at the deadline send `stop`, and kill the runner after the grace period;
 *   5. settle: `done`, or `failed` with a notice to the chat.
 *
 * A failed attempt that delivered nothing and was not stopped at its deadline is
 * retried once with the same messages and no others. Must hold: every claimed message
 * ends `done`, `failed`, or back to `pending`; none is left `running` by a live host.
 */
import type { AgentFrame, RunFrame, RunOutcome, RunSpec, RunUnit, SenderRole, StopFrame, StoredMessage } from "@arizuko/sdk";
import { platformMessageOf, PROTOCOL_VERSION } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { RunExit, RunHandle, Runner } from "../agent/runner.js";
import { describe, errors } from "../errors.js";
import type { GroupService } from "../groups/groups.js";
import type { Hooks } from "../hooks/hooks.js";
import { newId } from "../ids.js";
import type { Store } from "../store/index.js";
import type { MessageRecord } from "../store/messages.js";
import { modelServed, type ModelEndpoint, type ModelProxy } from "../agent/model-proxy.js";
import type { AgentProfile } from "../agent/profile.js";
import type { Endpoint, ToolEndpoints } from "../tools/endpoint.js";
import { runIdentity } from "../tools/identity.js";
import type { Breaker } from "./breaker.js";
import type { Outbound } from "./outbound.js";
import { buildPrompt, toBatchMessage } from "./prompt.js";
import { unitKey } from "./queue.js";

export interface ExecutorConfig {
  timeoutMs: number;
  stopGraceMs: number;
  /** Stops a run that sends no frame for this long; 0 never. */
  idleTimeoutMs?: number;
  maxBatch: number;
  contextMessages: number;
  /** The harness and model endpoint of a group's runs. */
  profile: (folder: string) => Pick<AgentProfile, "harness" | "model">;
}

interface Attempt {
  runId: string;
  unit: RunUnit;
  attempt: number;
  messages: MessageRecord[];
  handle: RunHandle | null;
  /** Reason the host sent `stop`, if it did. */
  stopReason: StopFrame["reason"] | null;
  /** The stop came because the runner sent nothing for `idleTimeoutMs`. */
  idle: boolean;
  /** Outcome the runner itself reported: `done`, or an error (`retryable: false` when a retry cannot help). */
  reported: { outcome: "done" } | { outcome: "failed"; error: string; retryable?: boolean } | null;
  delivered: number;
  startedAt: number;
  /** The run's MCP socket, up from before the runner starts until the run settles. */
  endpoint: Endpoint | null;
  /** The run's model socket, when a model is configured. */
  model: ModelEndpoint | null;
  /** Messages sent into the run with `steer` frames, one list per frame, in order. */
  steers: number[][];
  /** Arms the exit timer once the runner reported done or error. */
  onReported: () => void;
}

interface Settled {
  outcome: RunOutcome;
  error: string | null;
}

const NOTICE_FAILED = "Sorry, something went wrong and I could not answer that. Please try again.";
const noticeIdle = (ms: number) =>
  `Sorry, the agent stopped responding: the run was stopped after ${Math.round(ms / 1000)} s without any output. Please try again.`;
const noticeTimedOut = (ms: number) =>
  `Sorry, that took too long: the run was stopped after ${Math.round(ms / 1000)} s. Please try again, perhaps with a smaller request.`;

export class Executor {
  private readonly live = new Map<string, Attempt>();
  /** Set at shutdown: live runs go on, but no retry starts. */
  private closing = false;

  constructor(
    private readonly store: Store,
    private readonly hooks: Hooks,
    private readonly runner: Runner,
    private readonly outbound: Outbound,
    private readonly breaker: Breaker,
    private readonly groups: GroupService,
    private readonly config: ExecutorConfig,
    private readonly log: Logger,
    private readonly tools: ToolEndpoints | null = null,
    private readonly roleOf: (message: StoredMessage) => SenderRole = () => "member",
    private readonly models: ModelProxy | null = null,
  ) {}

  /** Runs the unit's pending messages (and the one retry, if needed); resolves when settled. */
  async execute(unit: RunUnit): Promise<void> {
    const messages = this.store.messages.pendingForUnit(unit, this.config.maxBatch);
    if (messages.length === 0) return;

    const first = await this.attempt(unit, messages, 1, null);
    if (!first.retry) return;

    // A failure that paused the group leaves the batch pending until the group resumes;
    // one during shutdown, until the next start.
    if (this.closing || !this.breaker.allows(unit.group)) {
      this.store.runs.releaseMessages(first.runId);
      return;
    }
    await this.attempt(unit, messages, 2, first.runId);
  }

  /**
   * Sends the unit's pending messages into its live run, when the runner takes `steer`
   * frames and the run is still going; returns whether it did. The messages are claimed
   * by the run, and go back to the queue if the agent ends without taking them.
   */
  steer(unit: RunUnit): boolean {
    const attempt = [...this.live.values()].find((candidate) => unitKey(candidate.unit) === unitKey(unit));
    if (!attempt?.handle?.features.includes("steer") || attempt.reported || attempt.stopReason) return false;
    const messages = this.store.messages.pendingForUnit(unit, this.config.maxBatch);
    if (messages.length === 0) return false;

    const seqs = messages.map((message) => message.seq);
    this.store.transaction(() => {
      this.store.runs.claimInto(attempt.runId, seqs);
      this.store.sessions.advance(unit, Math.max(...seqs), Date.now());
    });
    attempt.steers.push(seqs);
    attempt.messages = [...attempt.messages, ...messages];
    const batch = messages.map(toBatchMessage);
    attempt.handle.steer({ type: "steer", run_id: attempt.runId, messages: batch, prompt: buildPrompt(batch, []) });
    this.log.info({ runId: attempt.runId, group: unit.group, chat: unit.chat, messages: seqs }, "messages steered into the running run");
    return true;
  }

  /** Asks the live runs of `chat` (one topic, or all; or every run) to stop; returns how many were asked. */
  stop(reason: StopFrame["reason"], chat?: string, topic?: string): number {
    let count = 0;
    for (const attempt of this.live.values()) {
      if (chat !== undefined && attempt.unit.chat !== chat) continue;
      if (topic !== undefined && attempt.unit.topic !== topic) continue;
      attempt.stopReason ??= reason;
      attempt.handle?.stop(reason);
      count += 1;
    }
    return count;
  }

  /** Asks one live run to stop; false when no run with that id is live. */
  stopRun(reason: StopFrame["reason"], runId: string): boolean {
    for (const attempt of this.live.values()) {
      if (attempt.runId !== runId) continue;
      attempt.stopReason ??= reason;
      attempt.handle?.stop(reason);
      return true;
    }
    return false;
  }

  /** The runs in progress. */
  liveRuns(): Array<RunUnit & { runId: string; startedAt: number }> {
    return [...this.live.values()].map((attempt) => ({ ...attempt.unit, runId: attempt.runId, startedAt: attempt.startedAt }));
  }

  /** Shutdown: runs in progress may finish, but a failed one gets its retry after the next start. */
  close(): void {
    this.closing = true;
  }

  /** Kills every live runner at once (shutdown after the grace period). */
  killAll(): void {
    for (const attempt of this.live.values()) attempt.handle?.kill();
  }

  get running(): number {
    return this.live.size;
  }

  private async attempt(unit: RunUnit, messages: MessageRecord[], number: number, retryOf: string | null) {
    const runId = newId("run");
    const log = this.log.child({ runId, group: unit.group, chat: unit.chat, topic: unit.topic, attempt: number });
    const session = this.store.sessions.get(unit);
    const seqs = messages.map((message) => message.seq);

    // 1. Claim the messages together with the run row.
    this.store.transaction(() => {
      const harness = this.config.profile(unit.group).harness.name;
      this.store.runs.create({ id: runId, unit, attempt: number, retryOf, runner: this.runner.name, harness, sessionId: session.sessionId }, seqs, Date.now());
      this.store.sessions.advance(unit, Math.max(...seqs), Date.now());
    });

    const attempt: Attempt = {
      runId,
      unit,
      attempt: number,
      messages,
      handle: null,
      stopReason: null,
      idle: false,
      reported: null,
      delivered: 0,
      startedAt: Date.now(),
      endpoint: null,
      model: null,
      steers: [],
      onReported: () => {},
    };
    this.live.set(runId, attempt);
    log.info({ messages: seqs }, "run started");

    let settled: Settled;
    try {
      const frame = await this.prepare(attempt, session.sessionId, session.lastSeq);
      settled = await this.drive(attempt, frame, log);
    } catch (error) {
      settled = { outcome: "failed", error: describe(error) };
    } finally {
      this.live.delete(runId);
      await attempt.endpoint?.close();
      await attempt.model?.close();
    }

    return this.settle(attempt, settled, log);
  }

  /** 2. The run spec and prompt. */
  private async prepare(attempt: Attempt, sessionId: string | null, lastSeq: number): Promise<RunFrame> {
    const { unit, messages } = attempt;
    const context = this.store.messages.context(unit, lastSeq, this.config.contextMessages);
    const groupPath = this.groups.path(unit.group);
    const identity = runIdentity(this.store, attempt.runId, unit, messages, this.roleOf);
    const profile = this.config.profile(unit.group);

    const initial: RunSpec = {
      runId: attempt.runId,
      unit,
      attempt: attempt.attempt,
      sessionId,
      messages: messages.map(toBatchMessage),
      context: context.map(toBatchMessage),
      harness: profile.harness,
      deadlineMs: this.config.timeoutMs,
      groupPath,
      senderRole: identity.senderRole,
    };
    const spec = await this.hooks.waterfall("beforeAgentRun", initial, unit);
    const { prompt } = await this.hooks.waterfall("onPromptBuild", { prompt: buildPrompt(spec.messages, spec.context) }, { spec });
    // The socket is up before the runner starts, so the agent can connect at once.
    attempt.endpoint = this.tools ? await this.tools.serve(unit, identity) : null;
    attempt.model = this.models && modelServed(profile.model) ? await this.models.serve(unit, attempt.runId, profile.model) : null;

    return {
      type: "run",
      run_id: attempt.runId,
      protocol: PROTOCOL_VERSION,
      group: { folder: unit.group, path: groupPath },
      chat: unit.chat,
      topic: unit.topic,
      session_id: spec.sessionId,
      messages: spec.messages,
      context: spec.context,
      prompt,
      harness: spec.harness,
      mcp: attempt.endpoint ? { socket: attempt.endpoint.socket, token: attempt.endpoint.token } : null,
      model: attempt.model && { socket: attempt.model.socket, token: attempt.model.token, models: attempt.model.models, api: attempt.model.api },
      deadline_ms: spec.deadlineMs,
    };
  }

  /** 3–4. Starts the runner and relays frames until it exits; enforces the deadline. */
  private drive(attempt: Attempt, frame: RunFrame, log: Logger): Promise<Settled> {
    return new Promise<Settled>((resolve, reject) => {
      let graceTimer: NodeJS.Timeout | undefined;
      const deadline = setTimeout(() => {
        // A run that already reported done or error is only slow to exit: no stop needed.
        if (attempt.reported) return attempt.handle?.kill();
        log.warn({ timeoutMs: frame.deadline_ms }, "run past its deadline; stopping it");
        attempt.stopReason = "deadline";
        attempt.handle?.stop("deadline");
        graceTimer = setTimeout(() => attempt.handle?.kill(), this.config.stopGraceMs);
      }, frame.deadline_ms);

      // A runner that goes silent for idleTimeoutMs is hung: it is stopped like one past its deadline.
      const idleMs = this.config.idleTimeoutMs ?? 0;
      let idleTimer: NodeJS.Timeout | undefined;
      const armIdle = () => {
        clearTimeout(idleTimer);
        if (idleMs <= 0 || attempt.reported || attempt.stopReason) return;
        idleTimer = setTimeout(() => {
          log.warn({ idleTimeoutMs: idleMs }, "run sent nothing for its idle timeout; stopping it");
          attempt.stopReason = "deadline";
          attempt.idle = true;
          attempt.handle?.stop("deadline");
          graceTimer = setTimeout(() => attempt.handle?.kill(), this.config.stopGraceMs);
        }, idleMs);
      };
      armIdle();

      // After done or error the runner should exit once its stdin closes; one that does
      // not is killed after the grace period. A warm runner settles the run at close(),
      // before this: it lives on for the next run and must not be killed.
      let finished = false;
      attempt.onReported = () => {
        clearTimeout(graceTimer);
        if (finished) return;
        graceTimer = setTimeout(() => attempt.handle?.kill(), this.config.stopGraceMs);
      };

      const finish = (exit: RunExit) => {
        finished = true;
        clearTimeout(deadline);
        clearTimeout(graceTimer);
        clearTimeout(idleTimer);
        resolve(this.outcome(attempt, exit));
      };

      this.runner
        .start(frame, {
          onFrame: (agentFrame) => {
            armIdle();
            this.onFrame(attempt, agentFrame, log);
          },
          onProtocolError: (error) => {
            attempt.reported ??= { outcome: "failed", error: error.message };
          },
          onExit: finish,
        })
        .then((handle) => {
          attempt.handle = handle;
          if (handle.pid !== null) this.store.runs.setPid(attempt.runId, handle.pid);
          void this.hooks.observe("onAgentStart", { runId: attempt.runId, unit: attempt.unit, attempt: attempt.attempt });
          // A stop requested while the runner was starting (shutdown, /stop) applies now.
          if (attempt.stopReason) handle.stop(attempt.stopReason);
        })
        .catch((error: unknown) => {
          clearTimeout(deadline);
          clearTimeout(idleTimer);
          reject(error);
        });
    });
  }

  private onFrame(attempt: Attempt, frame: AgentFrame, log: Logger): void {
    const { unit, runId } = attempt;
    void this.hooks.observe("onAgentOutput", { runId, unit, frame });

    switch (frame.type) {
      case "message": {
        if (attempt.reported) return; // nothing after done or error counts
        const last = attempt.messages[attempt.messages.length - 1]!;
        const replyTo = frame.reply_to ?? platformMessageOf(last.platformId);
        // A `#name` topic is arizuko's own session key: the reply goes to the platform thread it came from.
        this.outbound.reply({ chat: unit.chat, topic: last.topic, routeTopic: unit.topic, text: frame.text, group: unit.group, runId, replyTo });
        attempt.delivered += 1;
        return;
      }
      case "session":
        this.store.sessions.setSession(unit, frame.session_id, Date.now());
        this.store.runs.setSession(runId, frame.session_id);
        return;
      case "usage":
        this.store.runs.setUsage(runId, frame);
        return;
      case "done":
        this.returnUntaken(attempt, frame.steered ?? 0, log);
        attempt.reported ??= { outcome: "done" };
        attempt.handle?.close();
        attempt.onReported();
        return;
      case "error":
        log.warn({ code: frame.code, err: frame.message }, "agent reported an error");
        attempt.reported ??= { outcome: "failed", error: `${frame.code}: ${frame.message}`, retryable: frame.retryable };
        attempt.handle?.close();
        attempt.onReported();
        return;
      case "delta":
      case "hello":
        return;
    }
  }

  /** Returns the messages of steers the agent did not take (it was ending) to the queue. */
  private returnUntaken(attempt: Attempt, taken: number, log: Logger): void {
    const untaken = attempt.steers.slice(taken).flat();
    if (untaken.length === 0) return;
    attempt.steers = attempt.steers.slice(0, taken);
    this.store.runs.releaseSeqs(untaken);
    attempt.messages = attempt.messages.filter((message) => !untaken.includes(message.seq));
    log.info({ messages: untaken }, "steered messages the agent did not take go to the next run");
  }

  private outcome(attempt: Attempt, exit: RunExit): Settled {
    // `reported` before `stopReason`: a run that finished just as it was stopped is finished.
    if (attempt.stopReason === "deadline" && attempt.reported?.outcome !== "done") {
      const error = attempt.idle ? `stopped after ${this.config.idleTimeoutMs} ms without output` : `stopped after ${this.config.timeoutMs} ms`;
      return { outcome: "timed_out", error };
    }
    if (attempt.stopReason === "user") return { outcome: "stopped", error: null };
    if (attempt.stopReason === "shutdown" && attempt.reported?.outcome !== "done") return { outcome: "abandoned", error: "host shut down" };
    if (attempt.reported?.outcome === "done") return { outcome: "done", error: null };
    if (attempt.reported?.outcome === "failed") return { outcome: "failed", error: attempt.reported.error };
    return { outcome: "failed", error: errors.agentExited(exit.code, exit.signal, exit.stderr).message };
  }

  /** 5. Records the outcome; returns whether the batch gets its one retry. */
  private settle(attempt: Attempt, settled: Settled, log: Logger): { retry: boolean; runId: string } {
    const { runId, unit } = attempt;
    const { outcome, error } = settled;
    const retryable = !(attempt.reported?.outcome === "failed" && attempt.reported.retryable === false);
    const retry = outcome === "failed" && attempt.delivered === 0 && attempt.attempt === 1 && retryable;
    const now = Date.now();

    this.store.transaction(() => {
      // A failed run's steered messages form the next run; the retry takes the first batch only.
      if (outcome !== "done" && outcome !== "stopped") this.store.runs.releaseSeqs(attempt.steers.flat());
      this.store.runs.finish(runId, outcome, error, now);
      if (outcome === "done" || outcome === "stopped") this.store.runs.settleMessages(runId, "done");
      else if (outcome === "abandoned") {
        if (attempt.delivered > 0) this.store.runs.settleMessages(runId, "done");
        else this.store.runs.releaseMessages(runId);
      } else if (!retry) this.store.runs.settleMessages(runId, "failed");
      // A retry re-claims the same messages for its own run, so they stay `running`.
    });

    const durationMs = now - attempt.startedAt;
    if (outcome === "done") log.info({ delivered: attempt.delivered, durationMs }, "run done");
    else log.warn({ outcome, delivered: attempt.delivered, durationMs, err: error, retry }, "run did not finish");

    if (outcome === "done") this.breaker.success(unit.group);
    if (outcome === "failed" || outcome === "timed_out") this.breaker.failure(unit.group, unit.chat, unit.topic);

    const lastMessage = attempt.messages[attempt.messages.length - 1]!;
    if (outcome === "timed_out" || (outcome === "failed" && !retry)) {
      let text = NOTICE_FAILED;
      if (outcome === "timed_out") text = attempt.idle ? noticeIdle(this.config.idleTimeoutMs ?? 0) : noticeTimedOut(this.config.timeoutMs);
      this.outbound.notice({ chat: unit.chat, topic: lastMessage.topic, routeTopic: unit.topic, text, group: unit.group, replyTo: platformMessageOf(lastMessage.platformId) });
    }

    if (outcome === "failed" || outcome === "timed_out") {
      void this.hooks.observe("onAgentError", { runId, unit, code: outcome, message: error ?? outcome });
    }
    void this.hooks.observe("afterAgentRun", { runId, unit, outcome, delivered: attempt.delivered, durationMs, error });
    return { retry, runId };
  }
}
