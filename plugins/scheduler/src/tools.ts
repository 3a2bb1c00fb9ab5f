/**
 * The task MCP tools: `schedule_task`, `list_tasks`, `pause_task`, `resume_task`,
 * `cancel_task`. A group schedules tasks for itself or a group below it. A run lists the
 * tasks of its own chat (an operator's run: all of the subtree) and changes only those
 * made with its role or a lower one. Each task runs with the role of the run that
 * created it, and a run acting for a guest cannot use the tools at all, since tasks
 * spend model budget unattended. Grants see `chat` (and its platform), so rules on the
 * chat a task writes to hold. Agents' changes go to the audit log.
 */
import type { AuditEntry, SenderRole, ToolContext, ToolSpec } from "@arizuko/sdk";
import { ArizukoError, inSubtree } from "@arizuko/sdk";
import { Type } from "typebox";
import type { Scheduler } from "./scheduler.js";
import { describeSchedule, zoneTime } from "./schedule.js";
import { MAX_PROMPT_LENGTH, taskSpec, type InputChecks } from "./task-input.js";
import type { Task, TaskStore } from "./tasks.js";

function view(task: Task, store: TaskStore) {
  const last = store.runs(task.id, 1)[0];
  return {
    id: task.id,
    group: task.group,
    chat: task.chat,
    topic: task.topic,
    prompt: task.prompt,
    schedule: describeSchedule(task.schedule),
    context: task.context,
    status: task.status,
    next_run: task.nextRunAt === null ? null : new Date(task.nextRunAt).toISOString(),
    next_run_local: zoneTime(task.schedule, task.nextRunAt),
    last_run: last ? { due: new Date(last.dueAt).toISOString(), state: last.state, error: last.error } : null,
    error: task.error,
  };
}

/** The sink of agents' task changes: the instance's audit log. */
export type TaskAudit = (entry: Omit<AuditEntry, "id" | "at">) => void;

const Id = Type.Object({ task_id: Type.String({ minLength: 1, maxLength: 64, description: "Task id from list_tasks" }) }, { additionalProperties: false });

const RANK: Record<SenderRole, number> = { guest: 0, member: 1, operator: 2 };
const GUEST_DENIAL =
  "this run acts for a guest (an anonymous web visitor, or a sender not admitted yet), and guests cannot use scheduled tasks; " +
  "an operator admits people with web chat accounts (arizuko user add, arizuko user join), pairing or the allow list";

/** Rejects runs that act for a guest: tasks run unattended on the operator's model budget. */
function denyGuest(context: ToolContext): void {
  if (context.senderRole === "guest") throw new ArizukoError("ARZ_ERR_TASK_DENIED", GUEST_DENIAL, { statusCode: 403 });
}

/**
 * Tells whether the run may list `task`: it belongs to the run's group or one below it,
 * and it targets the run's chat unless the run acts for an operator. So one chat's
 * members never read the prompts of another chat's tasks.
 */
function visible(task: Task, context: ToolContext): boolean {
  return inSubtree(context.group, task.group) && (task.chat === context.chat || context.senderRole === "operator");
}

export function taskTools(scheduler: Scheduler, store: TaskStore, checks: InputChecks, now: () => number, maxTasksPerGroup: number, audit: TaskAudit): ToolSpec[] {
  /** Returns a task the run may change: visible to it, and made by someone of no higher role. */
  const own = (context: ToolContext, id: unknown): Task => {
    denyGuest(context);
    const task = scheduler.get(String(id));
    if (!task || !visible(task, context)) {
      throw new ArizukoError("ARZ_ERR_TASK_NOT_FOUND", `no task ${JSON.stringify(id)} of this chat in ${context.group} or below it; list_tasks shows the ids`, { statusCode: 404 });
    }
    if (RANK[task.creatorRole] > RANK[context.senderRole]) {
      throw new ArizukoError("ARZ_ERR_TASK_DENIED", `task ${task.id} was made with the ${task.creatorRole} role, and this run acts with the ${context.senderRole} role; only the ${task.creatorRole} role or a higher one can change it`, { statusCode: 403 });
    }
    return task;
  };

  /** Records an agent's change in the audit log, beside the operators' own. */
  const record = (context: ToolContext, action: string, task: Task) => audit({ actor: `group:${context.group}`, action, target: `task ${task.id}`, detail: `run ${context.runId} for a ${context.senderRole}` });

  const schedule: ToolSpec = {
    name: "schedule_task",
    description:
      "Schedule a prompt that this group (or a group below it) runs later as if a message arrived, in this chat unless chat is given. " +
      "Give exactly one of cron (five fields, with zone, e.g. cron \"0 7 * * 1-5\", zone \"Europe/Berlin\"), every (\"15m\", \"2h\", \"1d\") or at (ISO 8601 with an offset). " +
      "context \"group\" continues this chat's session; \"isolated\" starts a fresh session each run. To see or stop tasks use list_tasks, pause_task or cancel_task.",
    inputSchema: Type.Object(
      {
        prompt: Type.String({ minLength: 1, maxLength: MAX_PROMPT_LENGTH, description: "What the agent is asked at each run" }),
        cron: Type.Optional(Type.String({ maxLength: 200, description: "Five-field cron expression" })),
        zone: Type.Optional(Type.String({ maxLength: 64, description: "IANA time zone of cron; default UTC" })),
        every: Type.Optional(Type.String({ maxLength: 16, description: "Interval: a number and m, h or d; at least 1m" })),
        at: Type.Optional(Type.String({ maxLength: 40, description: "One-shot time, ISO 8601 with an offset or Z" })),
        context: Type.Optional(Type.Union([Type.Literal("group"), Type.Literal("isolated")])),
        chat: Type.Optional(Type.String({ maxLength: 512, description: "Chat JID the replies go to; default this run's chat" })),
        topic: Type.Optional(Type.String({ maxLength: 200, description: "Platform thread of the chat; default this run's thread" })),
        group: Type.Optional(Type.String({ maxLength: 255, description: "Group that runs it: this one (default) or one below it" })),
      },
      { additionalProperties: false },
    ),
    defaults: (context) => ({ chat: context.chat, group: context.group, topic: context.thread }),
    run(args, context) {
      denyGuest(context);
      const group = String(args.group);
      if (!checks.groups.exists(group)) throw new ArizukoError("ARZ_ERR_TASK_INVALID", `group: no group ${JSON.stringify(group)}; list_groups shows them`, { statusCode: 400 });
      if (!inSubtree(context.group, group)) throw new ArizukoError("ARZ_ERR_TASK_DENIED", `${group} is not ${context.group} or below it; a group schedules tasks for its own subtree`, { statusCode: 403 });
      // Tasks that can still fire count; finished one-shots and the operator's own tasks do not.
      const owned = store.list().filter((task) => task.group === group && task.creator.startsWith("group:") && (task.status === "active" || task.status === "paused")).length;
      if (owned >= maxTasksPerGroup) {
        throw new ArizukoError("ARZ_ERR_TASK_LIMIT", `${group} has ${owned} active or paused tasks made by agents, the most a group may have (scheduler config maxTasksPerGroup); cancel one first`, { statusCode: 409 });
      }
      const spec = taskSpec(args as Record<string, string>, now(), checks);
      const task = scheduler.create(spec, { name: `group:${context.group}`, role: context.senderRole });
      record(context, "task.add", task);
      return view(task, store);
    },
  };

  const list: ToolSpec = {
    name: "list_tasks",
    description: "List the scheduled tasks of this group and the groups below it, with their schedule, status, next run and last result. To add one use schedule_task.",
    inputSchema: Type.Object({}, { additionalProperties: false }),
    run: (_args, context) => {
      denyGuest(context);
      return { tasks: store.list().filter((task) => visible(task, context)).map((task) => view(task, store)) };
    },
  };

  /** Builds a tool that changes one task the run may change, records it and returns `result`. */
  const change = (name: string, description: string, action: string, apply: (id: string) => Task, result: (task: Task) => unknown): ToolSpec => ({
    name,
    description,
    inputSchema: Id,
    run: (args, context) => {
      const task = apply(own(context, args.task_id).id);
      record(context, action, task);
      return result(task);
    },
  });

  const shown = (task: Task) => view(task, store);
  const pause = change(
    "pause_task",
    "Pause a scheduled task of this group or below it: it does not fire until resume_task. A run it queued that has not started is withdrawn.",
    "task.pause",
    (id) => scheduler.pause(id),
    shown,
  );
  const resume = change(
    "resume_task",
    "Resume a paused task: it fires again from its next time (times that passed while paused do not run). To pause use pause_task.",
    "task.resume",
    (id) => scheduler.resume(id),
    shown,
  );
  const cancel = change(
    "cancel_task",
    "Delete a scheduled task of this group or below it for good, with its run records. To stop it for a while use pause_task instead.",
    "task.delete",
    (id) => scheduler.remove(id),
    (task) => ({ deleted: task.id }),
  );

  return [schedule, list, pause, resume, cancel];
}
