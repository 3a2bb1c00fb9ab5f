/**
 * The task MCP tools: `schedule_task`, `list_tasks`, `pause_task`, `resume_task`,
 * `cancel_task`. A group schedules tasks for itself or a group below it and manages
 * only those; each task runs with the role of the run that created it, and a run
 * acting for a guest cannot schedule at all, since tasks spend model budget unattended. Grants see `chat` (and
 * its platform), so rules on the chat a task writes to hold.
 */
import type { ToolContext, ToolSpec } from "@arizuko/sdk";
import { ArizukoError, inSubtree } from "@arizuko/sdk";
import { Type } from "typebox";
import type { Scheduler } from "./scheduler.js";
import { describeSchedule } from "./schedule.js";
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
    last_run: last ? { due: new Date(last.dueAt).toISOString(), state: last.state, error: last.error } : null,
    error: task.error,
  };
}

const Id = Type.Object({ task_id: Type.String({ minLength: 1, maxLength: 64, description: "Task id from list_tasks" }) }, { additionalProperties: false });

export function taskTools(scheduler: Scheduler, store: TaskStore, checks: InputChecks, now: () => number, maxTasksPerGroup: number): ToolSpec[] {
  /** Returns the task when it belongs to the caller's group or a group below it, else throws 404. */
  const own = (context: ToolContext, id: unknown): Task => {
    const task = scheduler.get(String(id));
    if (!task || !inSubtree(context.group, task.group)) throw new ArizukoError("ARZ_ERR_TASK_NOT_FOUND", `no task ${JSON.stringify(id)} in ${context.group} or below it; list_tasks shows the ids`, { statusCode: 404 });
    return task;
  };

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
      // Unattended runs spend the operator's model budget: a stranger's conversation may not start them.
      if (context.senderRole === "guest") {
        throw new ArizukoError("ARZ_ERR_TASK_DENIED", "only admitted senders may schedule tasks, and this run acts for a guest; an operator can admit the sender (pairing or the allow list)", { statusCode: 403 });
      }
      const group = String(args.group);
      if (!inSubtree(context.group, group)) throw new ArizukoError("ARZ_ERR_TASK_DENIED", `${group} is not ${context.group} or below it; a group schedules tasks for its own subtree`, { statusCode: 403 });
      const owned = store.list().filter((task) => task.group === group).length;
      if (owned >= maxTasksPerGroup) {
        throw new ArizukoError("ARZ_ERR_TASK_LIMIT", `${group} has ${owned} tasks, the most a group may have (scheduler config maxTasksPerGroup); cancel one first`, { statusCode: 409 });
      }
      const spec = taskSpec(args as Record<string, string>, now(), checks);
      const task = scheduler.create(spec, { name: `group:${context.group}`, role: context.senderRole });
      return view(task, store);
    },
  };

  const list: ToolSpec = {
    name: "list_tasks",
    description: "List the scheduled tasks of this group and the groups below it, with their schedule, status, next run and last result. To add one use schedule_task.",
    inputSchema: Type.Object({}, { additionalProperties: false }),
    run: (_args, context) => ({ tasks: store.list().filter((task) => inSubtree(context.group, task.group)).map((task) => view(task, store)) }),
  };

  const pause: ToolSpec = {
    name: "pause_task",
    description: "Pause a scheduled task of this group or below it: it does not fire until resume_task. A run it queued that has not started is withdrawn.",
    inputSchema: Id,
    run: (args, context) => view(scheduler.pause(own(context, args.task_id).id), store),
  };

  const resume: ToolSpec = {
    name: "resume_task",
    description: "Resume a paused task: it fires again from its next time (times that passed while paused do not run). To pause use pause_task.",
    inputSchema: Id,
    run: (args, context) => view(scheduler.resume(own(context, args.task_id).id), store),
  };

  const cancel: ToolSpec = {
    name: "cancel_task",
    description: "Delete a scheduled task of this group or below it for good, with its run records. To stop it for a while use pause_task instead.",
    inputSchema: Id,
    run: (args, context) => ({ deleted: scheduler.remove(own(context, args.task_id).id).id }),
  };

  return [schedule, list, pause, resume, cancel];
}
