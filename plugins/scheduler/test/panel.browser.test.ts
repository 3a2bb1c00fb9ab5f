/**
 * The Tasks page in a real headless Chromium. An operator signs in, opens the page from
 * the navigation, corrects a mistake in the form, then adds, edits, pauses, resumes and
 * deletes a task with clicks. When the fake clock fires a task, the open page's list
 * shows the run's result and keeps what was typed in the form. Every step is checked in
 * the database as well. Screenshots land in <tmp>/arizuko-browser-artifacts/scheduler.
 */
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, describe, expect, it } from "vitest";
import { useChromium } from "../../web/test/helpers/chromium.js";
import { addUser } from "../../web/test/helpers/people.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { at, CHAT, iso, World } from "./helpers/world.js";

const SHOW_TIMEOUT_MS = 15_000;
/** A Monday, so the weekly cron task's first time is a week later. */
const START = at("2026-06-01T10:00:00Z");

const chromium = useChromium("scheduler");
let world: World | undefined;
let context: BrowserContext | undefined;
let page: Page | undefined;
/** Uncaught script errors of the page: a broken htmx swap shows up here. */
let scriptErrors: string[] = [];

afterEach(async ({ task }) => {
  await chromium.keepFailure(task, page);
  await context?.close();
  context = undefined;
  page = undefined;
  await world?.instance.dispose();
  world = undefined;
});

interface TaskRow {
  id: string;
  group_folder: string;
  chat: string;
  topic: string | null;
  prompt: string;
  schedule: string;
  context_mode: string;
  status: string;
  next_run_at: number | null;
  creator: string;
  creator_role: string;
}

function tasks(): TaskRow[] {
  return world!.db.prepare("SELECT id, group_folder, chat, topic, prompt, schedule, context_mode, status, next_run_at, creator, creator_role FROM scheduler_tasks ORDER BY created_at").all() as TaskRow[];
}

async function startWorld(): Promise<World> {
  world = await World.start({ clock: new FakeClock(START) });
  return world;
}

/** Signs an operator in through the sign-in page and opens the Tasks page from the navigation. */
async function openTasksPage(world: World): Promise<Page> {
  const password = await addUser(world.instance, "olga", true);
  context = await chromium.browser().newContext();
  page = await context.newPage();
  scriptErrors = [];
  page.on("pageerror", (error) => scriptErrors.push(error.message));

  await page.goto(`${world.instance.url}/dash`);
  await page.getByLabel("Username").fill("olga");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Status", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });

  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Scheduled tasks" }).click();
  await page.getByRole("heading", { name: "Scheduled tasks", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });
  expect(page.url()).toBe(`${world.instance.url}/dash/panels/tasks`);
  return page;
}

/** Finds a field of the task form by its label. */
function field(page: Page, label: string) {
  return page.locator("#task-form").getByLabel(label, { exact: true });
}

describe("Tasks page in Chromium", () => {
  it("adds, edits, pauses, resumes and deletes a task", async () => {
    const page = await openTasksPage(await startWorld());
    const form = page.locator("#task-form");
    const list = page.locator("#scheduler-list");

    // 1. The empty page: no tasks, an empty form for adding one.
    expect(await list.textContent()).toContain("no tasks yet");
    expect(await page.locator("#scheduler-form h3").textContent()).toBe("Add a task");
    for (const label of ["Group", "Chat", "Topic", "Prompt", "Cron", "Zone", "or every", "or at"]) expect(await field(page, label).inputValue(), label).toBe("");
    expect(await field(page, "Context").inputValue()).toBe("group");
    expect(tasks()).toEqual([]);
    await page.screenshot({ path: join(chromium.folder(), "empty.png"), fullPage: true });

    // 2. A cron expression of four fields and an unknown zone: the error shows beside
    // the form, everything typed stays, and nothing is stored.
    await field(page, "Group").fill("main");
    await field(page, "Chat").fill(CHAT);
    await field(page, "Prompt").fill("weekly digest");
    await field(page, "Cron").fill("0 9 * *");
    await field(page, "Zone").fill("Mars/Olympus");
    await form.getByRole("button", { name: "Add task" }).click();
    const error = form.locator(".error[role=alert]");
    await error.filter({ hasText: 'cron expression "0 9 * *" has 4 fields' }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await field(page, "Group").inputValue()).toBe("main");
    expect(await field(page, "Chat").inputValue()).toBe(CHAT);
    expect(await field(page, "Prompt").inputValue()).toBe("weekly digest");
    expect(await field(page, "Cron").inputValue()).toBe("0 9 * *");
    expect(await field(page, "Zone").inputValue()).toBe("Mars/Olympus");
    expect(await list.textContent()).toContain("no tasks yet");
    expect(tasks()).toEqual([]);
    await page.screenshot({ path: join(chromium.folder(), "mistake.png"), fullPage: true });

    // The schedule is checked one mistake at a time: with the cron fixed, the zone is next.
    await field(page, "Cron").fill("0 9 * * 1");
    await form.getByRole("button", { name: "Add task" }).click();
    await error.filter({ hasText: 'unknown time zone "Mars/Olympus"' }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await field(page, "Cron").inputValue()).toBe("0 9 * * 1");
    expect(tasks()).toEqual([]);

    // 3. Fixed: the task is stored and listed with its next run.
    await field(page, "Zone").fill("Europe/Berlin");
    await form.getByRole("button", { name: "Add task" }).click();
    const notice = form.locator(".notice[role=status]");
    await notice.filter({ hasText: "added; next run 2026-06-08 07:00:00 UTC" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(tasks()).toHaveLength(1);
    const added = tasks()[0]!;
    expect(added).toMatchObject({ group_folder: "main", chat: CHAT, prompt: "weekly digest", context_mode: "group", status: "active", creator: "user:olga", creator_role: "operator" });
    expect(JSON.parse(added.schedule)).toEqual({ kind: "cron", expression: "0 9 * * 1", zone: "Europe/Berlin" });
    // Monday 8 June 2026, 09:00 in Berlin (summer time) is 07:00 UTC.
    expect(iso(added.next_run_at)).toBe("2026-06-08T07:00:00.000Z");
    expect(await notice.textContent()).toBe(`task ${added.id} added; next run 2026-06-08 07:00:00 UTC`);

    const row = page.locator(`#task-${added.id}`);
    const rowText = await row.textContent();
    expect(rowText).toContain("by user:olga");
    expect(rowText).toContain("cron 0 9 * * 1 (Europe/Berlin)");
    expect(rowText).toContain("group context");
    expect(rowText).toContain("weekly digest");
    expect(rowText).toContain("2026-06-08 07:00:00");
    expect(rowText).toContain("no runs yet");
    expect(await row.locator(".state-active").textContent()).toBe("active");
    expect(await error.count()).toBe(0);
    // The form is empty again for the next task.
    expect(await field(page, "Prompt").inputValue()).toBe("");
    expect(await field(page, "Cron").inputValue()).toBe("");
    await page.screenshot({ path: join(chromium.folder(), "added.png"), fullPage: true });

    // 4. Edit: the form takes the task's values, and an interval in an isolated context replaces the cron.
    await row.getByRole("button", { name: "Edit" }).click();
    await page.locator("#scheduler-form h3", { hasText: `Edit task ${added.id}` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await field(page, "Group").inputValue()).toBe("main");
    expect(await field(page, "Chat").inputValue()).toBe(CHAT);
    expect(await field(page, "Prompt").inputValue()).toBe("weekly digest");
    expect(await field(page, "Cron").inputValue()).toBe("0 9 * * 1");
    expect(await field(page, "Zone").inputValue()).toBe("Europe/Berlin");
    expect(await field(page, "Context").inputValue()).toBe("group");
    await field(page, "Cron").fill("");
    await field(page, "Zone").fill("");
    await field(page, "or every").fill("2h");
    await field(page, "Context").selectOption("isolated");
    await page.screenshot({ path: join(chromium.folder(), "edit.png"), fullPage: true });
    await form.getByRole("button", { name: "Save" }).click();
    await notice.filter({ hasText: `task ${added.id} saved; next run 2026-06-01 12:00:00 UTC` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    const edited = tasks()[0]!;
    expect(tasks()).toHaveLength(1);
    expect(edited).toMatchObject({ id: added.id, group_folder: "main", chat: CHAT, prompt: "weekly digest", context_mode: "isolated", status: "active", creator: "user:olga" });
    expect(JSON.parse(edited.schedule)).toEqual({ kind: "interval", everyMs: 2 * 3_600_000, anchor: START });
    expect(iso(edited.next_run_at)).toBe("2026-06-01T12:00:00.000Z");
    expect(await row.textContent()).toContain("every 2h");
    expect(await row.textContent()).toContain("isolated context");
    expect(await row.textContent()).toContain("2026-06-01 12:00:00");
    // Saving ends the edit: the form is for adding again.
    expect(await page.locator("#scheduler-form h3").textContent()).toBe("Add a task");

    // 5. Pause and resume with the row's buttons; delete after the confirmation. Their
    // notices show above the list, and a next task half typed in the form stays there.
    await field(page, "Prompt").fill("next task, half typed");
    const listNotice = list.locator(".notice[role=status]");
    await row.getByRole("button", { name: "Pause" }).click();
    await listNotice.filter({ hasText: `task ${added.id} paused` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await row.locator(".state-paused").textContent()).toBe("paused");
    expect(tasks()[0]!.status).toBe("paused");
    expect(await row.getByRole("button", { name: "Pause" }).count()).toBe(0);
    expect(await field(page, "Prompt").inputValue()).toBe("next task, half typed");

    await row.getByRole("button", { name: "Resume" }).click();
    await listNotice.filter({ hasText: `task ${added.id} resumed` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await row.locator(".state-active").textContent()).toBe("active");
    expect(tasks()[0]).toMatchObject({ status: "active", next_run_at: at("2026-06-01T12:00:00Z") });

    const confirmations: string[] = [];
    page.once("dialog", (dialog) => {
      confirmations.push(dialog.message());
      void dialog.accept();
    });
    await row.getByRole("button", { name: "Delete" }).click();
    await listNotice.filter({ hasText: `task ${added.id} deleted` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(confirmations).toEqual([`Delete task ${added.id} and its run records?`]);
    expect(await row.count()).toBe(0);
    expect(await list.textContent()).toContain("no tasks yet");
    expect(tasks()).toEqual([]);
    expect(await field(page, "Prompt").inputValue()).toBe("next task, half typed");

    const audit = world!.db.prepare("SELECT actor, action FROM audit WHERE action LIKE 'task.%' ORDER BY id").all();
    expect(audit).toEqual(["task.add", "task.edit", "task.pause", "task.resume", "task.delete"].map((action) => ({ actor: "user:olga", action })));
    expect(await page.locator("#flash").textContent()).toBe("");
    expect(scriptErrors).toEqual([]);
  });

  it("shows a run's result in the open list and keeps the typed form", async () => {
    const started = await startWorld();
    const id = await started.addTask("--prompt", "status report", "--every", "15m");
    const page = await openTasksPage(started);
    const row = page.locator(`#task-${id}`);
    await row.waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await row.textContent()).toContain("no runs yet");
    expect(await row.textContent()).toContain("2026-06-01 10:15:00");

    // Half-typed values, and a mark that is lost if the page reloads as a whole.
    await field(page, "Group").fill("main");
    await field(page, "Prompt").fill("a draft not sent yet");
    await field(page, "or every").fill("1h");
    await page.evaluate(() => {
      (globalThis as Record<string, unknown>).loadedOnce = true;
    });

    world!.clock.set(at("2026-06-01T10:15:00Z"));
    await world!.settled();
    expect(world!.runs(id).map((run) => [iso(run.due_at), run.state])).toEqual([["2026-06-01T10:15:00.000Z", "done"]]);
    expect(iso(world!.task(id).next_run_at)).toBe("2026-06-01T10:30:00.000Z");
    expect(world!.replies()).toEqual(["echo: status report (context: 0)"]);

    await row.locator(".state-done").waitFor({ timeout: SHOW_TIMEOUT_MS });
    const rowText = await row.textContent();
    expect(rowText).toContain("2026-06-01 10:15:00 done");
    expect(rowText).toContain("2026-06-01 10:30:00");
    expect(rowText).not.toContain("no runs yet");
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).loadedOnce)).toBe(true);
    expect(await field(page, "Group").inputValue()).toBe("main");
    expect(await field(page, "Prompt").inputValue()).toBe("a draft not sent yet");
    expect(await field(page, "or every").inputValue()).toBe("1h");
    expect(tasks()).toHaveLength(1);
    await page.screenshot({ path: join(chromium.folder(), "live.png"), fullPage: true });
    expect(scriptErrors).toEqual([]);
  });
});
