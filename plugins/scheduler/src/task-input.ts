/**
 * Turns what a caller typed (MCP arguments, CLI flags, a dashboard form) into a task
 * spec, checking everything first and naming each mistake with the form expected.
 */
import type { ChannelsApi, GroupsApi } from "@arizuko/sdk";
import { ArizukoError, parseChatJid } from "@arizuko/sdk";
import { cronSchedule, intervalSchedule, intervalText, onceSchedule, ScheduleError, type Schedule } from "./schedule.js";
import type { ContextMode, TaskSpec } from "./tasks.js";

export const MAX_PROMPT_LENGTH = 8000;
const MAX_TOPIC_LENGTH = 200;

/** The fields as typed; empty strings count as not given. */
export interface TaskFields {
  group?: string;
  chat?: string;
  topic?: string;
  prompt?: string;
  cron?: string;
  zone?: string;
  every?: string;
  at?: string;
  context?: string;
}

export interface InputChecks {
  groups: Pick<GroupsApi, "exists">;
  channels: Pick<ChannelsApi, "forChat" | "list">;
}

/** Returns a task's fields as a caller would type them: for an edit form, or an edit that changes only some. */
export function fieldsOfTask(task: TaskSpec): TaskFields {
  const fields: TaskFields = { group: task.group, chat: task.chat, topic: task.topic, prompt: task.prompt, context: task.context };
  if (task.schedule.kind === "cron") return { ...fields, cron: task.schedule.expression, zone: task.schedule.zone };
  if (task.schedule.kind === "interval") return { ...fields, every: intervalText(task.schedule.everyMs) };
  return { ...fields, at: new Date(task.schedule.at).toISOString() };
}

export function invalidTask(problems: string[]): ArizukoError {
  return new ArizukoError("ARZ_ERR_TASK_INVALID", problems.join("; "), { statusCode: 400 });
}

function given(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** Builds the schedule from exactly one of `cron` (with an optional `zone`), `every` and `at`. */
export function scheduleOf(fields: TaskFields, now: number): Schedule {
  const cron = given(fields.cron);
  const every = given(fields.every);
  const at = given(fields.at);
  const zone = given(fields.zone);
  const count = [cron, every, at].filter((value) => value !== undefined).length;
  if (count !== 1) {
    throw new ScheduleError(
      `give exactly one schedule: cron (e.g. "0 7 * * *", with zone such as "Europe/Berlin"), every (e.g. "15m") or at (e.g. "2026-12-24T18:00:00+01:00"); got ${count}`,
    );
  }
  if (zone !== undefined && cron === undefined) throw new ScheduleError("zone goes with cron only; an interval or a one-shot time needs none");
  if (cron !== undefined) return cronSchedule(cron, zone);
  if (every !== undefined) return intervalSchedule(every, now);

  const once = onceSchedule(at!);
  if (once.kind === "once" && once.at <= now) throw new ScheduleError(`at ${JSON.stringify(at)} is in the past; give a later time`);
  return once;
}

/** Checks `fields` and returns the spec, or throws 400 listing every problem. */
export function taskSpec(fields: TaskFields, now: number, checks: InputChecks): TaskSpec {
  const problems: string[] = [];

  const group = given(fields.group);
  if (group === undefined) problems.push("group: give the folder of the group that runs the task, e.g. main");
  else if (!checks.groups.exists(group)) problems.push(`group: no group ${JSON.stringify(group)}; arizuko group list shows them`);

  const chat = given(fields.chat);
  if (chat === undefined) problems.push("chat: give the chat JID the replies go to, e.g. web:local/alice");
  else problems.push(...chatProblems(chat, checks));

  const prompt = fields.prompt?.trim() ?? "";
  if (prompt.length === 0) problems.push("prompt: give the text the agent gets at each run");
  else if (prompt.length > MAX_PROMPT_LENGTH) problems.push(`prompt: ${prompt.length} characters; at most ${MAX_PROMPT_LENGTH}`);

  const topic = fields.topic?.trim() ?? "";
  if (topic.length > MAX_TOPIC_LENGTH || /[\p{Cc}]/u.test(topic)) problems.push(`topic: at most ${MAX_TOPIC_LENGTH} characters, no control characters`);

  const context = given(fields.context) ?? "group";
  if (context !== "group" && context !== "isolated") problems.push(`context: ${JSON.stringify(context)} is not a mode; use "group" (the chat's session) or "isolated" (a fresh session each run)`);

  let schedule: Schedule | null = null;
  try {
    schedule = scheduleOf(fields, now);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    problems.push(`schedule: ${error.message}`);
  }

  if (problems.length > 0) throw invalidTask(problems);
  return { group: group!, chat: chat!, topic, prompt, schedule: schedule!, context: context as ContextMode };
}

function chatProblems(chat: string, checks: InputChecks): string[] {
  try {
    parseChatJid(chat);
  } catch (error) {
    return [`chat: ${(error as Error).message}`];
  }
  if (checks.channels.forChat(chat)) return [];
  const channels = checks.channels.list().flatMap((channel) => channel.prefixes);
  return [`chat: no channel serves ${JSON.stringify(chat)}, so replies could not be sent; chats of this instance start with ${channels.join(", ") || "(no channel is loaded)"}`];
}
