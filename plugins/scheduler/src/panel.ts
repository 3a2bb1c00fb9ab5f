/**
 * The Tasks panel of the dashboard (a page of its own): the tasks with their next run
 * and last results, a form that creates a task or edits one, and pause, resume and
 * delete on each row. The list reloads when the instance reports a change; the form sits
 * outside it, so a reload leaves what an operator is typing alone (the browser test checks it). Its writes are
 * operator-only HTTP routes that record each change in the audit log. Create and edit
 * respond with the whole panel, which shows what went wrong beside the form with the
 * typed values kept. The row actions respond with the list alone, so they leave the form
 * as it is.
 *
 *   GET  /scheduler/panel/list          the list (live reload)
 *   GET  /scheduler/panel/form[?edit=ID] the empty form, or one task's values to edit
 *   POST /scheduler/tasks               create (form fields)
 *   POST /scheduler/tasks/ID            edit
 *   POST /scheduler/tasks/ID/pause|resume|delete
 */
import { htmlResponse, html, isArizukoError, raw, type Host, type Html, type UserInfo } from "@arizuko/sdk";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Scheduler } from "./scheduler.js";
import { describeSchedule, zoneTime } from "./schedule.js";
import { fieldsOfTask, taskSpec, type InputChecks, type TaskFields } from "./task-input.js";
import type { Task, TaskRun, TaskStore } from "./tasks.js";

const RESULTS_SHOWN = 3;
const FIELD_NAMES = ["group", "chat", "topic", "prompt", "cron", "zone", "every", "at", "context"] as const;
const ID_PATTERN = "^tsk_[0-9a-f]{1,32}$";

interface Outcome {
  notice?: string;
  error?: string;
  /** Values to show in the form: what was typed (after an error) or the task being edited. */
  values?: TaskFields;
  /** The task the form edits. */
  editing?: string;
}

function time(value: number | null): string {
  return value === null ? "-" : new Date(value).toISOString().replace("T", " ").slice(0, 19);
}

function results(runs: TaskRun[]): Html {
  if (runs.length === 0) return html`<span class="muted">no runs yet</span>`;
  return html`<ul class="plain">${runs.map((run) => html`<li>${time(run.dueAt)} <span class="state state-${run.state}">${run.state}</span>${run.error ? html` <span class="muted">${run.error}</span>` : ""}</li>`)}</ul>`;
}

function statusLine(outcome: Outcome): Html | string {
  if (outcome.error) return html`<p class="error" role="alert">${outcome.error}</p>`;
  if (outcome.notice) return html`<p class="notice" role="status">${outcome.notice}</p>`;
  return "";
}

function actions(task: Task): Html {
  const post = (action: string, label: string, extra: Html | string = "") =>
    html`<button type="button" class="secondary" hx-post="/scheduler/tasks/${task.id}/${action}" hx-target="#scheduler-list" hx-swap="outerHTML"${extra}>${label}</button>`;
  const toggle = task.status === "paused" ? post("resume", "Resume") : task.status === "active" ? post("pause", "Pause") : "";
  return html`${toggle}
<button type="button" class="secondary" hx-get="/scheduler/panel/form?edit=${task.id}" hx-target="#scheduler-form" hx-swap="outerHTML">Edit</button>
${post("delete", "Delete", html` hx-confirm="Delete task ${task.id} and its run records?"`)}`;
}

/** Renders the list, with the notice or error of a row action above it. */
export function taskList(store: TaskStore, outcome: Pick<Outcome, "notice" | "error"> = {}): Html {
  const tasks = store.list();
  const rows = tasks.map(
    (task) => html`<tr id="task-${task.id}">
<td><code>${task.id}</code><br><span class="muted">by ${task.creator}</span></td>
<td>${task.group}</td>
<td>${task.chat}${task.topic ? html` #${task.topic}` : ""}</td>
<td>${describeSchedule(task.schedule)}<br><span class="muted">${task.context} context</span></td>
<td class="prompt">${task.prompt}</td>
<td><span class="state state-${task.status}">${task.status}</span>${task.error ? html`<br><span class="error">${task.error}</span>` : ""}</td>
<td>${time(task.nextRunAt)}${zoneTime(task.schedule, task.nextRunAt) ? html`<br><span class="muted">${zoneTime(task.schedule, task.nextRunAt)}</span>` : ""}</td>
<td>${results(store.runs(task.id, RESULTS_SHOWN))}</td>
<td>${actions(task)}</td>
</tr>`,
  );
  const body =
    tasks.length === 0
      ? html`<p class="muted">no tasks yet: add one below, or let an agent call schedule_task</p>`
      : html`<table><thead><tr>${["Task", "Group", "Chat", "Schedule", "Prompt", "Status", "Next run (UTC)", "Last results", "Actions"].map((header) => html`<th scope="col">${header}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
  return html`<div id="scheduler-list" hx-get="/scheduler/panel/list" hx-trigger="arizuko:changed from:body" hx-swap="outerHTML">${statusLine(outcome)}${body}</div>`;
}

function input(name: keyof TaskFields, label: string, value: string | undefined, placeholder: string): Html {
  return html`<label for="task-${name}">${label}</label> <input id="task-${name}" name="${name}" value="${value ?? ""}" placeholder="${placeholder}">`;
}

export function taskForm(outcome: Outcome = {}): Html {
  const values = outcome.values ?? {};
  const editing = outcome.editing;
  const context = values.context ?? "group";
  return html`<div id="scheduler-form">
<h3>${editing ? html`Edit task <code>${editing}</code>` : "Add a task"}</h3>
<p class="muted">Give exactly one schedule: a cron expression of five fields with its time zone (<code>0 7 * * 1-5</code>, <code>Europe/Berlin</code>), an interval (<code>15m</code>, <code>2h</code>, <code>1d</code>, at least 1m) or a one-shot time with an offset (<code>2026-12-24T18:00:00+01:00</code>).</p>
<form id="task-form" hx-post="/scheduler/tasks${editing ? `/${editing}` : ""}" hx-target="#scheduler-tasks" hx-swap="outerHTML">
<p>${input("group", "Group", values.group, "e.g. main")} ${input("chat", "Chat", values.chat, "e.g. web:local/alice")} ${input("topic", "Topic", values.topic, "(the chat itself)")}</p>
<p><label for="task-prompt">Prompt</label><br><textarea id="task-prompt" name="prompt" rows="3" cols="70">${values.prompt ?? ""}</textarea></p>
<p>${input("cron", "Cron", values.cron, "0 7 * * *")} ${input("zone", "Zone", values.zone, "UTC (default)")} ${input("every", "or every", values.every, "15m")} ${input("at", "or at", values.at, "2026-12-24T18:00+01:00")}</p>
<p><label for="task-context">Context</label> <select id="task-context" name="context">
<option value="group"${context === "group" ? raw(" selected") : ""}>group: the chat's session</option>
<option value="isolated"${context === "isolated" ? raw(" selected") : ""}>isolated: a fresh session each run</option>
</select></p>
<p><button type="submit">${editing ? "Save" : "Add task"}</button>${editing ? html` <button type="button" class="secondary" hx-get="/scheduler/panel/form" hx-target="#scheduler-form" hx-swap="outerHTML">Cancel</button>` : ""}</p>
${statusLine(outcome)}
</form>
</div>`;
}

export function taskPanel(store: TaskStore, outcome: Outcome = {}): Html {
  return html`<section id="scheduler-tasks">${taskList(store)}${taskForm(outcome)}</section>`;
}

function typed(body: unknown): TaskFields {
  const fields: TaskFields = {};
  const source = (body ?? {}) as Record<string, unknown>;
  for (const name of FIELD_NAMES) if (typeof source[name] === "string") fields[name] = source[name] as string;
  return fields;
}

function problem(error: unknown): string {
  if (isArizukoError(error) && error.statusCode < 500) return error.message;
  throw error;
}

export function registerPanel(host: Host, scheduler: Scheduler, store: TaskStore, checks: InputChecks, now: () => number): void {
  host.panels.register({ id: "tasks", title: "Scheduled tasks", page: true, render: () => taskPanel(store).text });

  const send = (reply: FastifyReply, body: Html) => reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(body.text);
  const actor = async (request: FastifyRequest): Promise<string> => {
    const user: UserInfo | null = await host.users.fromRequest(request).catch(() => null);
    return user ? `user:${user.username}` : "admin-token";
  };
  const audit = (who: string, action: string, task: string, detail: string | null) => host.instance.audit.record({ actor: who, action, target: `task ${task}`, detail });
  const fieldsBody = { type: "object", additionalProperties: false, properties: Object.fromEntries(FIELD_NAMES.map((name) => [name, { type: "string", maxLength: 10_000 }])) };
  const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", pattern: ID_PATTERN } } };

  const listHtml = htmlResponse("The task list, with a notice or an error line (an unknown task id is one).");
  const panelHtml = htmlResponse("The whole panel: the list and the form, with the error beside the form and the typed values kept.");
  const fieldsNote = "The fields are the form's, all strings: group, chat, topic, prompt, context, and one schedule (cron with zone, every, or at).";

  host.http.register({
    method: "GET",
    url: "/scheduler/panel/list",
    auth: "operator",
    schema: { summary: "Tasks panel: the task list", response: { 200: listHtml } },
    handler: (_request, reply) => send(reply, taskList(store)),
  });

  host.http.register({
    method: "GET",
    url: "/scheduler/panel/form",
    auth: "operator",
    schema: {
      summary: "Tasks panel: the task form",
      querystring: { type: "object", properties: { edit: { type: "string", pattern: ID_PATTERN, description: "a task id: the form holds that task's values" } } },
      response: { 200: htmlResponse("The empty form, or the form for editing the task.") },
    },
    handler: (request, reply) => {
      const { edit } = request.query as { edit?: string };
      if (edit === undefined) return send(reply, taskForm());
      const task = scheduler.require(edit);
      return send(reply, taskForm({ values: fieldsOfTask(task), editing: task.id }));
    },
  });

  host.http.register({
    method: "POST",
    url: "/scheduler/tasks",
    auth: "operator",
    schema: { summary: "Create a task", description: fieldsNote, body: fieldsBody, response: { 200: panelHtml } },
    handler: async (request, reply) => {
      const fields = typed(request.body);
      const who = await actor(request);
      try {
        const task = scheduler.create(taskSpec(fields, now(), checks), { name: who, role: "operator" });
        audit(who, "task.add", task.id, `${task.group} in ${task.chat}, ${describeSchedule(task.schedule)}`);
        return send(reply, taskPanel(store, { notice: `task ${task.id} added; next run ${time(task.nextRunAt)} UTC` }));
      } catch (error) {
        return send(reply, taskPanel(store, { error: problem(error), values: fields }));
      }
    },
  });

  host.http.register({
    method: "POST",
    url: "/scheduler/tasks/:id",
    auth: "operator",
    schema: { summary: "Edit a task", description: fieldsNote, params: idParams, body: fieldsBody, response: { 200: panelHtml } },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const fields = typed(request.body);
      const who = await actor(request);
      try {
        const task = scheduler.edit(scheduler.require(id).id, taskSpec(fields, now(), checks));
        audit(who, "task.edit", task.id, `${task.group} in ${task.chat}, ${describeSchedule(task.schedule)}`);
        return send(reply, taskPanel(store, { notice: `task ${task.id} saved; next run ${time(task.nextRunAt)} UTC` }));
      } catch (error) {
        return send(reply, taskPanel(store, { error: problem(error), values: fields, editing: id }));
      }
    },
  });

  const change = (action: "pause" | "resume" | "delete", apply: (id: string) => Task) =>
    host.http.register({
      method: "POST",
      url: `/scheduler/tasks/:id/${action}`,
      auth: "operator",
      schema: { summary: `${action[0]!.toUpperCase()}${action.slice(1)} a task`, params: idParams, response: { 200: listHtml } },
      handler: async (request, reply) => {
        const { id } = request.params as { id: string };
        const who = await actor(request);
        try {
          const task = apply(id);
          audit(who, `task.${action}`, task.id, null);
          const done = { pause: "paused", resume: "resumed", delete: "deleted" }[action];
          return send(reply, taskList(store, { notice: `task ${task.id} ${done}` }));
        } catch (error) {
          return send(reply, taskList(store, { error: problem(error) }));
        }
      },
    });
  change("pause", (id) => scheduler.pause(id));
  change("resume", (id) => scheduler.resume(id));
  change("delete", (id) => scheduler.remove(id));
}
