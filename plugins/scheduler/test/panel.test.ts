/**
 * The Tasks page of the dashboard over HTTP: an operator creates, edits, pauses, resumes
 * and deletes tasks, each change checked in the database and the audit log; mistakes
 * come back beside the form with the typed values kept; no one else changes anything.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Client } from "../../../core/test/helpers/client.js";
import { person, type Person } from "../../web/test/helpers/people.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { at, CHAT, iso, World } from "./helpers/world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.instance.dispose();
  world = undefined;
});

const FORM = { group: "main", chat: CHAT, topic: "", prompt: "weekly digest", cron: "0 9 * * 1", zone: "Europe/Berlin", every: "", at: "", context: "group" };

async function operator(): Promise<Person> {
  world = await World.start({ clock: new FakeClock(at("2026-06-01T10:00:00Z")) });
  return person(world.instance, "olga", { operator: true });
}

function tasks() {
  return world!.db.prepare("SELECT id, group_folder, chat, prompt, schedule, context_mode, status, next_run_at, creator, creator_role FROM scheduler_tasks ORDER BY created_at").all() as Array<Record<string, unknown>>;
}

function audit() {
  return world!.db.prepare("SELECT actor, action, target FROM audit ORDER BY id").all() as Array<{ actor: string; action: string; target: string }>;
}

describe("the Tasks page", () => {
  it("own page in the navigation", async () => {
    const olga = await operator();
    const page = await olga.get<string>("/dash/panels/tasks");
    expect(page.status).toBe(200);
    expect(page.body).toContain('<a href="/dash/panels/tasks" aria-current="page">Scheduled tasks</a>');
    expect(page.body).toContain("no tasks yet");
    expect(page.body).toContain('hx-post="/scheduler/tasks"');

    const status = await olga.get<string>("/dash");
    expect(status.body).toContain('<a href="/dash/panels/tasks">Scheduled tasks</a>');
    expect((await olga.get<string>("/dash/panels/nothing")).status).toBe(404);
  });

  it("creates, edits, pauses, resumes and deletes a task", async () => {
    const olga = await operator();
    const created = await olga.post<string>("/scheduler/tasks", FORM);
    expect(created.status).toBe(200);
    const [task] = tasks();
    expect(task).toMatchObject({ group_folder: "main", chat: CHAT, prompt: "weekly digest", context_mode: "group", status: "active", creator: "user:olga", creator_role: "operator" });
    expect(JSON.parse(task!.schedule as string)).toEqual({ kind: "cron", expression: "0 9 * * 1", zone: "Europe/Berlin" });
    // Monday 8 June 2026, 09:00 in Berlin (summer time) is 07:00 UTC.
    expect(iso(task!.next_run_at as number)).toBe("2026-06-08T07:00:00.000Z");
    expect(created.body).toContain(`task ${task!.id} added; next run 2026-06-08 07:00:00 UTC`);
    expect(created.body).toContain("weekly digest");

    const editForm = await olga.get<string>(`/scheduler/panel/form?edit=${task!.id}`);
    expect(editForm.body).toContain(`hx-post="/scheduler/tasks/${task!.id}"`);
    expect(editForm.body).toContain('value="0 9 * * 1"');

    const edited = await olga.post<string>(`/scheduler/tasks/${task!.id}`, { ...FORM, cron: "", zone: "", every: "2h", context: "isolated" });
    expect(edited.body).toContain(`task ${task!.id} saved`);
    expect(tasks()[0]).toMatchObject({ context_mode: "isolated", next_run_at: at("2026-06-01T12:00:00Z") });

    await olga.post(`/scheduler/tasks/${task!.id}/pause`, {});
    expect(tasks()[0]!.status).toBe("paused");
    await olga.post(`/scheduler/tasks/${task!.id}/resume`, {});
    expect(tasks()[0]!.status).toBe("active");
    const deleted = await olga.post<string>(`/scheduler/tasks/${task!.id}/delete`, {});
    expect(deleted.body).toContain(`task ${task!.id} deleted`);
    expect(tasks()).toEqual([]);

    expect(audit().filter((entry) => entry.action.startsWith("task.")).map((entry) => [entry.actor, entry.action, entry.target])).toEqual([
      ["user:olga", "task.add", `task ${task!.id}`],
      ["user:olga", "task.edit", `task ${task!.id}`],
      ["user:olga", "task.pause", `task ${task!.id}`],
      ["user:olga", "task.resume", `task ${task!.id}`],
      ["user:olga", "task.delete", `task ${task!.id}`],
    ]);
  });

  it("shows every mistake beside the form and keeps what was typed", async () => {
    const olga = await operator();
    const bad = await olga.post<string>("/scheduler/tasks", { ...FORM, group: "nope", chat: "telegram:1/2", prompt: " ", cron: "0 9 * *", zone: "Mars/Olympus" });
    expect(bad.status).toBe(200);
    expect(bad.body).toContain('group: no group &quot;nope&quot;; arizuko group list shows them');
    expect(bad.body).toContain("chat: no channel serves &quot;telegram:1/2&quot;");
    expect(bad.body).toContain("prompt: give the text the agent gets at each run");
    expect(bad.body).toContain('schedule: cron expression &quot;0 9 * *&quot; has 4 fields; expected five fields');
    expect(bad.body).toContain('value="Mars/Olympus"');
    expect(tasks()).toEqual([]);

    const two = await olga.post<string>("/scheduler/tasks", { ...FORM, every: "15m" });
    expect(two.body).toContain("schedule: give exactly one schedule");
    const short = await olga.post<string>("/scheduler/tasks", { ...FORM, cron: "", zone: "", every: "30s" });
    expect(short.body).toContain('schedule: invalid interval &quot;30s&quot;; expected a whole number and a unit m, h or d, at least 1m');
    const past = await olga.post<string>("/scheduler/tasks", { ...FORM, cron: "", zone: "", at: "2026-05-01T10:00:00Z" });
    expect(past.body).toContain("is in the past; give a later time");
    const zoneless = await olga.post<string>("/scheduler/tasks", { ...FORM, cron: "", at: "2026-07-01T10:00:00" });
    expect(zoneless.body).toContain("zone goes with cron only");
    expect(tasks()).toEqual([]);
    expect((await olga.post("/scheduler/tasks/tsk_0000/pause", {})).body).toContain("no task &quot;tsk_0000&quot;");
  });

  it("refuses anyone who is not a signed-in operator, changing nothing", async () => {
    const olga = await operator();
    await olga.post("/scheduler/tasks", FORM);
    const id = tasks()[0]!.id as string;
    const member = await person(world!.instance, "mia", { groups: ["main"] });
    const stranger = new Client(world!.instance.url);

    for (const [path, body] of [["/scheduler/tasks", FORM], [`/scheduler/tasks/${id}`, FORM], [`/scheduler/tasks/${id}/pause`, {}], [`/scheduler/tasks/${id}/delete`, {}]] as const) {
      expect((await stranger.post(path, body)).status, path).toBe(401);
      expect((await member.post(path, body)).status, path).toBe(403);
      // A cross-site request carries the cookies but not the CSRF token.
      const csrf = olga.csrf;
      olga.csrf = "";
      expect((await olga.post(path, body)).status, path).toBe(403);
      olga.csrf = csrf;
    }
    expect((await stranger.get("/scheduler/panel/list")).status).toBe(401);
    expect((await member.get("/scheduler/panel/list")).status).toBe(403);
    expect(tasks()).toHaveLength(1);
    expect(tasks()[0]!.status).toBe("active");
  });
});
