/**
 * The scheduler: one timer set to the earliest due time of the active tasks, armed
 * again whenever tasks change or fire. No loop wakes up every N seconds.
 *
 * When a task is due, its due time is claimed first: the task's `next_run_at` moves to
 * the following time of its schedule, counted from now and never from a run's end.
 * Only then is its prompt handed to the host as a message routed to the task's group.
 * So a run longer than the period, a second scheduler or a restart never fire a time
 * twice. A due time that comes while the task's previous run is still going is
 * recorded as skipped. After downtime, a task whose times passed runs once (or, with
 * `catchUp: "skip"`, records the time as missed and waits for the next one).
 */
import type { GroupsApi, MessagesApi, RunOutcome, RunsApi, StoredMessage } from "@arizuko/sdk";
import { ArizukoError, describeError, isArizukoError } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { Clock } from "./clock.js";
import { describeSchedule, nextTime, type Schedule } from "./schedule.js";
import type { Task, TaskRun, TaskSpec, TaskStore } from "./tasks.js";

/** setTimeout's longest delay; a later due time is reached by waking and arming again. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Wait before trying again when the database stayed locked or a claimed run could not be handed over. */
const RETRY_MS = 5_000;

export interface SchedulerOptions {
  /** The policy for a due time that passed while the instance was down. */
  catchUp: "once" | "skip";
  /** A due time found later than this counts as passed during downtime. */
  lateAfterMs: number;
}

export interface SchedulerDeps {
  store: TaskStore;
  clock: Clock;
  runs: Pick<RunsApi, "submit" | "withdraw" | "resetSession">;
  messages: Pick<MessagesApi, "bySeq" | "findByPlatformId">;
  groups: Pick<GroupsApi, "exists">;
  log: Logger;
}

/** Tells whether two schedules fire at the same times; an interval's anchor does not count. */
function sameSchedule(a: Schedule, b: Schedule): boolean {
  if (a.kind === "cron" && b.kind === "cron") return a.expression === b.expression && a.zone === b.zone;
  if (a.kind === "interval" && b.kind === "interval") return a.everyMs === b.everyMs;
  return a.kind === "once" && b.kind === "once" && a.at === b.at;
}

export function taskError(code: "NOT_FOUND" | "STATE", message: string): ArizukoError {
  return new ArizukoError(`ARZ_ERR_TASK_${code}`, message, { statusCode: code === "NOT_FOUND" ? 404 : 409 });
}

function iso(time: number): string {
  return new Date(time).toISOString();
}

/** Returns the session topic of an isolated task, its own, so its runs never join the chat's session. */
export function isolatedTopic(task: Pick<Task, "id">): string {
  return `task-${task.id}`;
}

export class Scheduler {
  private cancelTimer: (() => void) | null = null;
  /** Until `start()`, changes arm nothing: a host booted for a CLI command never fires tasks. */
  private stopped = true;

  constructor(
    private readonly deps: SchedulerDeps,
    private readonly options: SchedulerOptions,
  ) {}

  private get store(): TaskStore {
    return this.deps.store;
  }

  private get now(): number {
    return this.deps.clock.now();
  }

  /** Settles what a stop left open, then arms the timer; overdue tasks fire at once. */
  start(): void {
    this.stopped = false;
    this.reconcile();
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Sets the one timer to the earliest due time (or sooner, to retry a run that could not be handed over). */
  arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.stopped) return;

    const due = this.store.nextDue();
    const retry = this.store.openRuns().some((run) => run.state === "claimed") ? this.now + RETRY_MS : null;
    const times = [due, retry].filter((time): time is number => time !== null);
    if (times.length === 0) return;
    const at = Math.min(...times);
    const delay = Math.min(Math.max(0, at - this.now), MAX_TIMER_MS);
    this.cancelTimer = this.deps.clock.setTimer(() => this.wake(), delay);
  }

  private wake(): void {
    this.cancelTimer = null;
    try {
      this.handOverClaimed();
      this.fireDue(this.now);
      this.arm();
    } catch (error) {
      // Typically the database stayed locked past its busy timeout; nothing was claimed.
      this.deps.log.warn({ err: error }, `scheduler could not check due tasks; trying again in ${RETRY_MS / 1000} s`);
      if (!this.stopped) this.cancelTimer = this.deps.clock.setTimer(() => this.wake(), RETRY_MS);
    }
  }

  /** Fires every task due at `now`; returns how many runs it handed over. */
  fireDue(now: number): number {
    let fired = 0;
    for (const task of this.store.due(now)) if (this.fire(task, now)) fired += 1;
    return fired;
  }

  /**
   * Claims `task`'s due time and hands its prompt over; false when another scheduler
   * claimed it first or the time was skipped or missed.
   */
  fire(task: Task, now: number): boolean {
    const log = this.deps.log.child({ taskId: task.id, group: task.group, chat: task.chat });
    const dueAt = task.nextRunAt!;
    const next = nextTime(task.schedule, now);
    const open = this.store.openRuns(task.id)[0];

    let state: "claimed" | "skipped" | "missed" = "claimed";
    let error: string | null = null;
    if (open) {
      state = "skipped";
      error = `the run due at ${iso(open.dueAt)} was still going`;
    } else if (now - dueAt > this.options.lateAfterMs && this.options.catchUp === "skip") {
      state = "missed";
      error = `due at ${iso(dueAt)} while the instance was down; catch-up is off`;
    }

    const run = this.store.claim(task, next, state, error, now);
    if (!run) {
      log.debug({ dueAt: iso(dueAt) }, "due time already claimed by another scheduler");
      return false;
    }
    if (state !== "claimed") {
      log.info({ dueAt: iso(dueAt), next: next && iso(next), reason: error }, `task due time ${state}`);
      if (next === null) this.store.setStatus(task.id, "failed", null, `its only run was ${state}: ${error}`, now);
      return false;
    }

    log.info({ dueAt: iso(dueAt), next: next && iso(next), late: now - dueAt }, "task due; handing its prompt to the group");
    return this.handOver(task, run, now);
  }

  /** Stores the prompt as a message routed to the task's group; the queue starts its run. */
  private handOver(task: Task, run: TaskRun, now: number): boolean {
    const platformId = `task:${task.id}:${run.dueAt}`;
    const topic = task.context === "isolated" ? isolatedTopic(task) : task.topic;
    try {
      if (task.context === "isolated") this.deps.runs.resetSession(task.chat, topic);
      const message: StoredMessage | null =
        this.deps.runs.submit({
          group: task.group,
          chat: task.chat,
          thread: task.topic,
          topic,
          platformId,
          senderName: `scheduled task ${task.id}`,
          text: task.prompt,
          role: task.creatorRole,
          reason: `task ${task.id} due at ${iso(run.dueAt)} (${describeSchedule(task.schedule)})`,
        }) ?? this.deps.messages.findByPlatformId(task.chat, platformId);
      this.store.markQueued(run.id, message!.seq);
      return true;
    } catch (error) {
      const reason = describeError(error);
      // A missing group or a bad chat will not mend by itself; anything else is tried again.
      if (isArizukoError(error) && error.statusCode >= 400 && error.statusCode < 500) {
        this.store.finish(run.id, "failed", null, reason, now);
        this.store.setStatus(task.id, "failed", null, `could not run: ${reason}`, now);
        this.deps.log.warn({ taskId: task.id, group: task.group, chat: task.chat, err: error }, "task failed: its run cannot start");
      } else {
        this.deps.log.warn({ taskId: task.id, err: error }, `task run not handed over; trying again in ${RETRY_MS / 1000} s`);
      }
      return false;
    }
  }

  /** Hands over runs claimed before a crash or a failed attempt; their platform id makes it idempotent. */
  private handOverClaimed(): void {
    for (const run of this.store.openRuns().filter((open) => open.state === "claimed")) {
      const task = this.store.get(run.taskId);
      if (task) this.handOver(task, run, this.now);
    }
  }

  /** Marks the task runs whose message the agent run `agentRunId` took as running. */
  runStarted(agentRunId: string): void {
    for (const run of this.store.openRuns()) {
      const message = run.messageSeq === null ? null : this.deps.messages.bySeq(run.messageSeq);
      if (message?.runId === agentRunId) this.store.markRunning(run.id, agentRunId, this.now);
    }
  }

  /** Settles the task runs whose message is done or failed for good, once an agent run ended. */
  runEnded(agentRunId: string, outcome: RunOutcome, error: string | null): void {
    this.settle({ runId: agentRunId, outcome, error });
    this.arm();
  }

  /**
   * Settles open task runs from their messages' state; `ended` is the agent run that
   * just ended, whose outcome and error are the ones to record.
   */
  private settle(ended: { runId: string; outcome: RunOutcome; error: string | null } | null): void {
    const now = this.now;
    for (const run of this.store.openRuns()) {
      if (run.messageSeq === null) continue;
      const message = this.deps.messages.bySeq(run.messageSeq);
      if (message && message.state !== "done" && message.state !== "failed") continue;

      const own = ended !== null && message?.runId === ended.runId;
      const failed = !message || message.state === "failed" || (own && ended.outcome !== "done");
      let error: string | null = null;
      if (!message) error = "its message is gone";
      else if (failed && own) error = ended.error ?? ended.outcome;
      else if (failed) error = "the run failed";
      if (!this.store.finish(run.id, failed ? "failed" : "done", message?.runId ?? null, error, now)) continue;

      const task = this.store.get(run.taskId);
      if (task?.schedule.kind === "once" && task.nextRunAt === null && task.status === "active") {
        this.store.setStatus(task.id, failed ? "failed" : "completed", null, failed ? error : null, now);
      }
      this.deps.log.info({ taskId: run.taskId, runId: message?.runId, dueAt: iso(run.dueAt), state: failed ? "failed" : "done", error }, "task run ended");
    }
  }

  /** Start-up: hands over claimed runs and settles runs that ended while the scheduler was not looking. */
  reconcile(): void {
    this.handOverClaimed();
    this.settle(null);
  }

  create(spec: TaskSpec, creator: { name: string; role: Task["creatorRole"] }): Task {
    const next = this.firstTime(spec);
    const task = this.store.create(spec, creator, next, this.now);
    this.arm();
    return task;
  }

  /**
   * Changes a task. An unchanged schedule keeps its next time (and an interval its
   * anchor); a new one counts from now. A failed or completed task becomes active again.
   */
  edit(id: string, spec: TaskSpec): Task {
    const task = this.require(id);
    const same = sameSchedule(task.schedule, spec.schedule) && task.nextRunAt !== null;
    const changed = same ? { ...spec, schedule: task.schedule } : spec;
    this.store.edit(id, changed, same ? task.nextRunAt : this.firstTime(spec), this.now);
    this.arm();
    return this.store.get(id)!;
  }

  /** Stops a task from firing; a run it queued and no agent took yet is withdrawn. */
  pause(id: string): Task {
    const task = this.require(id);
    if (task.status === "paused") throw taskError("STATE", `task ${id} is paused already; resume it to let it fire again`);
    if (task.status !== "active") throw taskError("STATE", `task ${id} is ${task.status}; only an active task can be paused`);
    this.store.setStatus(id, "paused", task.nextRunAt, null, this.now);
    this.withdrawQueued(task, "task paused before its run started");
    this.arm();
    return this.store.get(id)!;
  }

  /**
   * Starts a paused task again from its next time after now: times that passed while
   * paused do not run. A one-shot task whose time passed runs at once.
   */
  resume(id: string): Task {
    const task = this.require(id);
    if (task.status !== "paused") throw taskError("STATE", `task ${id} is ${task.status}, not paused`);
    const now = this.now;
    const next = task.schedule.kind === "once" ? Math.max(task.schedule.at, now) : nextTime(task.schedule, now);
    this.store.setStatus(id, "active", next, null, now);
    this.arm();
    return this.store.get(id)!;
  }

  /** Deletes a task and its run records; a queued run no agent took yet is withdrawn first. */
  remove(id: string): Task {
    const task = this.require(id);
    this.withdrawQueued(task, "task deleted before its run started");
    this.store.remove(id);
    this.arm();
    return task;
  }

  get(id: string): Task | null {
    return this.store.get(id);
  }

  require(id: string): Task {
    const task = this.store.get(id);
    if (!task) throw taskError("NOT_FOUND", `no task ${JSON.stringify(id)}; the task list shows the ids`);
    return task;
  }

  private firstTime(spec: TaskSpec): number | null {
    const next = spec.schedule.kind === "once" ? spec.schedule.at : nextTime(spec.schedule, this.now);
    return next;
  }

  private withdrawQueued(task: Task, reason: string): void {
    for (const run of this.store.openRuns(task.id)) {
      if (run.state === "running") continue;
      if (run.messageSeq !== null && !this.deps.runs.withdraw(run.messageSeq, reason)) continue;
      this.store.finish(run.id, "withdrawn", null, reason, this.now);
    }
  }
}
