/** `arizuko task add|list|show|edit|pause|resume|rm`: the operator's hands on scheduled tasks. */
import { ArizukoError, formatTable, type CliCommand, type CliOption } from "@arizuko/sdk";
import type { Scheduler } from "./scheduler.js";
import { describeSchedule, zoneTime } from "./schedule.js";
import { fieldsOfTask, taskSpec, type InputChecks, type TaskFields } from "./task-input.js";
import type { Task, TaskStore } from "./tasks.js";

const OPERATOR = { name: "cli", role: "operator" as const };
const RUNS_SHOWN = 10;

function time(value: number | null): string {
  return value === null ? "-" : new Date(value).toISOString();
}

function optionText(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function fieldsOf(options: Record<string, string | boolean | undefined>): TaskFields {
  const fields: TaskFields = {};
  for (const key of ["group", "chat", "topic", "prompt", "cron", "zone", "every", "at", "context"] as const) fields[key] = optionText(options[key]);
  return fields;
}

function summary(task: Task): string {
  const local = zoneTime(task.schedule, task.nextRunAt);
  return `task ${task.id}: ${task.group} in ${task.chat}${task.topic ? ` #${task.topic}` : ""}, ${describeSchedule(task.schedule)}, ${task.context} context, ${task.status}; next run ${time(task.nextRunAt)}${local ? ` (${local})` : ""}`;
}

const FIELD_OPTIONS: CliOption[] = [
  { flags: "--group <folder>", description: "group that runs the task" },
  { flags: "--chat <jid>", description: "chat the replies go to, e.g. web:local/alice" },
  { flags: "--topic <topic>", description: "platform thread of the chat (default: the chat itself)" },
  { flags: "--prompt <text>", description: "text the agent gets at each run" },
  { flags: "--cron <expression>", description: 'five-field cron, e.g. "0 7 * * 1-5"' },
  { flags: "--zone <zone>", description: "IANA time zone of --cron (default UTC), e.g. Europe/Berlin" },
  { flags: "--every <interval>", description: "interval such as 15m, 2h or 1d (at least 1m)" },
  { flags: "--at <time>", description: "one-shot time, ISO 8601 with an offset, e.g. 2026-12-24T18:00:00+01:00" },
  { flags: "--context <mode>", description: "group (the chat's session) or isolated (a fresh session each run)" },
];

export function taskCommand(scheduler: Scheduler, store: TaskStore, checks: InputChecks, now: () => number): CliCommand {
  const ids = [{ name: "id", description: "task id from `arizuko task list`", required: true }];

  return {
    name: "task",
    description: "manage scheduled tasks (prompts a group runs on a cron, an interval or once)",
    subcommands: [
      {
        name: "list",
        description: "list tasks with their next run and last result",
        options: [{ flags: "--group <folder>", description: "only this group's tasks" }],
        run: ({ options }) => {
          const group = optionText(options.group);
          const tasks = store.list().filter((task) => group === undefined || task.group === group);
          if (tasks.length === 0) return "no tasks; add one with `arizuko task add --group main --chat <jid> --prompt <text> --every 1h`";
          const rows = tasks.map((task) => {
            const last = store.runs(task.id, 1)[0];
            return [task.id, task.group, task.chat, describeSchedule(task.schedule), task.status, time(task.nextRunAt), last ? `${last.state}${last.error ? `: ${last.error}` : ""}` : "-"];
          });
          return formatTable([["ID", "GROUP", "CHAT", "SCHEDULE", "STATUS", "NEXT RUN", "LAST RUN"], ...rows]);
        },
      },
      {
        name: "show",
        description: "show a task and its recent runs",
        arguments: ids,
        run: ({ args }) => {
          const task = scheduler.require(args[0] as string);
          const runs = store.runs(task.id, RUNS_SHOWN).map((run) => [time(run.dueAt), run.state, time(run.startedAt), time(run.endedAt), run.runId ?? "-", run.error ?? ""]);
          const lines = [summary(task), `prompt: ${task.prompt}`, `created by ${task.creator} (runs as ${task.creatorRole})`];
          if (task.error) lines.push(`error: ${task.error}`);
          lines.push(runs.length === 0 ? "no runs yet" : formatTable([["DUE", "STATE", "STARTED", "ENDED", "RUN", "ERROR"], ...runs]));
          return lines.join("\n");
        },
      },
      {
        name: "add",
        description: "add a task, e.g. arizuko task add --group main --chat web:local/alice --prompt 'Morning summary' --cron '0 7 * * *' --zone Europe/Berlin",
        options: FIELD_OPTIONS,
        run: ({ options }) => summary(scheduler.create(taskSpec(fieldsOf(options), now(), checks), OPERATOR)).replace(/^task/, "added task"),
      },
      {
        name: "edit",
        description: "change a task; options not given keep their values (a new schedule replaces the old one)",
        arguments: ids,
        options: FIELD_OPTIONS,
        run: ({ args, options }) => {
          const task = scheduler.require(args[0] as string);
          const typed = Object.fromEntries(Object.entries(fieldsOf(options)).filter(([, value]) => value !== undefined)) as TaskFields;
          if (Object.keys(typed).length === 0) throw new ArizukoError("ARZ_ERR_USAGE", `nothing to change; give the options to change, e.g. arizuko task edit ${task.id} --prompt 'new text'`);
          const base = fieldsOfTask(task);
          // A new schedule replaces the old one rather than adding to it; a new cron keeps the old zone unless one is given.
          if (typed.cron !== undefined || typed.every !== undefined || typed.at !== undefined) for (const key of ["cron", "every", "at"] as const) delete base[key];
          if (typed.every !== undefined || typed.at !== undefined) delete base.zone;
          return summary(scheduler.edit(task.id, taskSpec({ ...base, ...typed }, now(), checks))).replace(/^task/, "changed task");
        },
      },
      {
        name: "pause",
        description: "stop a task from firing until it is resumed",
        arguments: ids,
        run: ({ args }) => summary(scheduler.pause(args[0] as string)),
      },
      {
        name: "resume",
        description: "let a paused task fire again from its next time",
        arguments: ids,
        run: ({ args }) => summary(scheduler.resume(args[0] as string)),
      },
      {
        name: "rm",
        description: "delete a task and its run records",
        arguments: ids,
        run: ({ args }) => `deleted task ${scheduler.remove(args[0] as string).id}`,
      },
    ],
  };
}
