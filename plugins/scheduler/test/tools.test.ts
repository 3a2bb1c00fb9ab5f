/**
 * The task MCP tools through the demo agent in the web chat, on the default plugins and
 * the real clock: a signed-in member has the agent schedule a one-shot task, and the
 * task's answer reaches the chat on its own a few seconds later. Tasks run with their
 * creator's role; a stranger's run cannot schedule; a group manages its own subtree only.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import type { SseStream } from "../../../core/test/helpers/sse.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import type { WebMessage } from "../../web/src/view.js";
import { person, type Person } from "../../web/test/helpers/people.js";

let instance: TestInstance | undefined;
const streams: SseStream[] = [];
afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await instance?.dispose();
  instance = undefined;
});

async function open(visitor: Person | ReturnType<TestInstance["client"]>, chat: string): Promise<SseStream> {
  const stream = await visitor.events(chat);
  streams.push(stream);
  return stream;
}

async function answer(stream: SseStream, match: (message: WebMessage) => boolean, what: string, timeoutMs = 20_000): Promise<WebMessage> {
  await stream.until(() => stream.messages<WebMessage>().some(match), timeoutMs, what);
  return stream.messages<WebMessage>().find(match)!;
}

function tasks() {
  return instance!.kernel.store.db.prepare("SELECT id, group_folder, chat, prompt, status, creator, creator_role FROM scheduler_tasks ORDER BY created_at").all() as Array<Record<string, string>>;
}

/** Signs in a member of `main` to the web chat, where the demo agent replies. */
async function member(): Promise<Person> {
  instance = await startInstance();
  return person(instance, "alice", { groups: ["main"] });
}

/** A new chat of `who` with main; returns its id in the web API. */
async function newChat(who: Person): Promise<string> {
  const created = await who.post("/web/chats", { group: "main" });
  expect(created.status).toBe(201);
  return created.body.chat as string;
}

describe("the task tools", () => {
  it("schedule_task: reply reaches the web chat", async () => {
    const alice = await member();
    const chat = await newChat(alice);
    const stream = await open(alice, chat);
    const due = new Date(Date.now() + 3000).toISOString();
    await alice.say(chat, `call schedule_task {"prompt":"time to stretch","at":"${due}"}`);

    const report = await answer(stream, (message) => message.from_agent && message.text.includes("schedule_task:"), "the tool report");
    expect(report.text).toMatch(/\[demo\] schedule_task: \{\n {2}"id": "tsk_[0-9a-f]+",\n {2}"group": "main",\n {2}"chat": "web:local\/[^"]+"/);
    const [task] = tasks();
    expect(task).toMatchObject({ group_folder: "main", prompt: "time to stretch", status: "active", creator: "group:main", creator_role: "member" });

    // With no new message, the task's prompt runs at its time and the reply arrives in the chat.
    const fired = await answer(stream, (message) => message.from_agent && message.text.endsWith("You said: time to stretch"), "the task's answer");
    expect(fired.group).toBe("main");
    await waitFor(() => tasks()[0]?.status === "completed", { what: "the task to complete" });
    const run = instance!.kernel.store.db.prepare("SELECT state, run_id FROM scheduler_runs WHERE task_id = ?").get(task!.id) as { state: string; run_id: string };
    expect(run.state).toBe("done");
    expect(run.run_id).toMatch(/^run_/);
  });

  it("list, pause, resume, cancel, bad schedules", async () => {
    const alice = await member();
    const chat = await newChat(alice);
    const stream = await open(alice, chat);
    await alice.say(chat, 'call schedule_task {"prompt":"daily digest","cron":"0 8 * * *","zone":"Europe/Berlin"}');
    await answer(stream, (message) => message.from_agent && message.text.includes("schedule_task:"), "the first report");
    const id = tasks()[0]!.id!;

    const script = [
      "call list_tasks",
      `call pause_task {"task_id":"${id}"}`,
      `call resume_task {"task_id":"${id}"}`,
      'call schedule_task {"prompt":"x","cron":"every morning"}',
      'call schedule_task {"prompt":"x","every":"10s"}',
      `call cancel_task {"task_id":"${id}"}`,
    ].join("\n");
    await alice.say(chat, script);
    const report = await answer(stream, (message) => message.from_agent && message.text.includes("cancel_task:"), "the second report");
    expect(report.text).toContain(`"id": "${id}"`);
    expect(report.text).toContain('"schedule": "cron 0 8 * * * (Europe/Berlin)"');
    expect(report.text).toMatch(/pause_task: \{[^]*"status": "paused"/);
    expect(report.text).toMatch(/resume_task: \{[^]*"status": "active"/);
    expect(report.text).toContain('schedule: cron expression "every morning" has 2 fields; expected five fields "minute hour day-of-month month day-of-week", e.g. "30 8 * * 1-5" for 08:30 on weekdays');
    expect(report.text).toContain('schedule: invalid interval "10s"; expected a whole number and a unit m, h or d, at least 1m, e.g. "15m" or "2h"');
    expect(report.text).toContain(`cancel_task: {\n  "deleted": "${id}"\n}`);
    expect(tasks()).toEqual([]);
  });

  it("refuses a run that answers a stranger", async () => {
    instance = await startInstance();
    const stranger = instance.client();
    const stream = await open(stranger, "anon");
    await stranger.say("anon", 'call schedule_task {"prompt":"spend the budget","every":"1m"}\ncall list_tasks');
    const report = await answer(stream, (message) => message.from_agent, "the report");
    expect(report.text).toContain("schedule_task failed: this run acts for a guest (an anonymous web visitor, or a sender not admitted yet), and guests cannot use scheduled tasks; an operator admits people with web chat accounts (arizuko user add, arizuko user join), pairing or the allow list");
    expect(report.text).toContain("list_tasks failed: this run acts for a guest");
    expect(tasks()).toEqual([]);
  });

  it("keeps a group to its own subtree", async () => {
    const alice = await member();
    instance!.kernel.groups.add("main/help", "Help desk");
    await instance!.kernel.runCli(["task", "add", "--group", "main", "--chat", "web:local/other", "--prompt", "main's task", "--every", "1h"]);
    const id = tasks()[0]!.id!;
    // Grants let main/help use the task tools at all; the subtree rule still keeps it off main's task.
    expect((await instance!.kernel.runCli(["grants", "set", "main/help", "list_tasks", "cancel_task"])).exitCode).toBe(0);
    const chat = await newChat(alice);
    const stream = await open(alice, chat);
    // main delegates to main/help, whose run then tries to touch main's task.
    await alice.say(chat, `call delegate_group {"group":"main/help","text":"call cancel_task {\\"task_id\\":\\"${id}\\"}\\ncall list_tasks"}`);
    const report = await answer(stream, (message) => message.from_agent && message.group === "main/help", "main/help's report");
    expect(report.text).toContain(`no task "${id}" of this chat in main/help or below it`);
    expect(report.text).toContain('list_tasks: {\n  "tasks": []\n}');
    expect(tasks()).toHaveLength(1);
  });

  it("shows a member the tasks of their chat only, and keeps the operator's tasks out of reach", async () => {
    const alice = await member();
    const chat = await newChat(alice);
    const jid = `web:local/${chat}`;
    const add = (target: string, prompt: string) => instance!.kernel.runCli(["task", "add", "--group", "main", "--chat", target, "--prompt", prompt, "--every", "1h"]);
    await add("web:local/elsewhere", "another chat's task");
    await add(jid, "the operator's task in alice's chat");
    const [elsewhere, operators] = tasks().map((task) => task.id!);
    const stream = await open(alice, chat);

    await alice.say(chat, ["call list_tasks", `call pause_task {"task_id":"${elsewhere}"}`, `call cancel_task {"task_id":"${operators}"}`, 'call schedule_task {"prompt":"mine","every":"2h"}'].join("\n"));
    const report = await answer(stream, (message) => message.from_agent && message.text.includes("schedule_task:"), "the report");
    expect(report.text).toContain("the operator's task in alice's chat");
    expect(report.text).not.toContain("another chat's task");
    expect(report.text).toContain(`pause_task failed: no task "${elsewhere}" of this chat in main or below it`);
    expect(report.text).toContain(`cancel_task failed: task ${operators} was made with the operator role, and this run acts with the member role; only the operator role or a higher one can change it`);
    expect(tasks().map((task) => task.status)).toEqual(["active", "active", "active"]);

    // The agent's change is in the audit log beside the operators' own.
    const audit = instance!.kernel.store.db.prepare("SELECT actor, action, target FROM audit WHERE action LIKE 'task.%'").all();
    expect(audit).toEqual([{ actor: "group:main", action: "task.add", target: `task ${tasks()[2]!.id}` }]);
  });

  it("runs a task with its creator's role", async () => {
    const alice = await member();
    await instance!.kernel.runCli(["grants", "set", "main", "!send(sender_role=member)"]);
    const chat = await newChat(alice);
    const stream = await open(alice, chat);
    const soon = () => new Date(Date.now() + 2500).toISOString();
    const prompt = `call send {\\"chat\\":\\"web:local/${chat}\\",\\"text\\":\\"sent by a task\\"}`;
    // One task made by the member's run, one by the operator's CLI, with the same prompt.
    await alice.say(chat, `call schedule_task {"prompt":"${prompt}","at":"${soon()}"}`);
    await answer(stream, (message) => message.from_agent && message.text.includes("schedule_task:"), "the tool report");
    await instance!.kernel.runCli(["task", "add", "--group", "main", "--chat", `web:local/${chat}`, "--prompt", prompt.replaceAll("\\", ""), "--at", soon()]);

    // The rule hides `send` from runs acting for a member, so the member's task cannot send.
    await answer(stream, (message) => message.from_agent && message.text.includes('[demo] send: no tool "send" in this run'), "the member task's refusal");
    await answer(stream, (message) => message.text === "sent by a task", "the operator task's message");
    expect(tasks().map((task) => task.creator_role)).toEqual(["member", "operator"]);
  });
});
