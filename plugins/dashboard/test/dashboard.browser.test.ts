/**
 * The dashboard in a real headless Chromium: an operator signs in, reads the Status page,
 * approves a pairing request with a click and finds it in the audit log, follows a
 * message's trace, creates, edits and removes a group and edits routes, each change
 * checked in the database. Screenshots of every page land in
 * <tmp>/arizuko-browser-artifacts/dashboard.
 */
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OPERATOR, RoutingWorld } from "../../../core/test/helpers/routing-world.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { useChromium } from "../../web/test/helpers/chromium.js";
import { addUser } from "../../web/test/helpers/people.js";

const CODE = /[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}/;
const SHOW_TIMEOUT_MS = 15_000;

const chromium = useChromium("dashboard");
let context: BrowserContext | undefined;
let page: Page;
let world: RoutingWorld;

beforeEach(async () => {
  const browser = chromium.browser();
  world = await RoutingWorld.start({ config: { admission: { test: { policy: "pairing" } }, plugins: ["web", "route-table", "dashboard"] } });
  context = await browser.newContext();
  page = await context.newPage();
});

afterEach(async ({ task }) => {
  await chromium.keepFailure(task, context && page);
  await context?.close();
  context = undefined;
  await world?.dispose();
});

async function signIn(name: string, password: string): Promise<void> {
  await page.goto(`${world.instance.url}/dash`);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("dashboard in Chromium", () => {
  it("signs an operator in, shows the status and approves a pairing request", async () => {
    const password = await addUser(world.instance, "olga", true);
    await world.say("dm", "hello?", { sender: "test:mallory", direct: true });
    const code = await waitFor(() => world.channel.sent.map((chunk) => CODE.exec(chunk.text)?.[0]).find(Boolean), { what: "the pairing code" });

    await signIn("olga", password);
    await page.getByRole("heading", { name: "Status", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(page.url()).toBe(`${world.instance.url}/dash`);
    expect(await page.locator("#plugins").textContent()).toContain("route-table");
    expect(await page.locator("#pairings").textContent()).toContain(code);
    await page.screenshot({ path: join(chromium.folder(), "status.png"), fullPage: true });

    await page.locator("#pairings").getByRole("button", { name: "Approve" }).click();
    await page.locator("#pairings", { hasText: "no pairing requests waiting" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    await page.locator("#audit", { hasText: "pairing.approve" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(world.kernel.routing.senderRole({ sender: "test:mallory", chat: "test:bot/dm" })).toBe("member");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "arizuko dashboard" }).waitFor();
    await page.goto(`${world.instance.url}/dash`);
    expect(page.url()).toBe(`${world.instance.url}/dash/sign-in?next=%2Fdash`);
  });

  it("refreshes a section when something happens", async () => {
    const password = await addUser(world.instance, "olga", true);
    await signIn("olga", password);
    await page.getByRole("heading", { name: "Status", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await page.locator("#pairings").textContent()).toContain("no pairing requests waiting");

    await world.say("dm", "hello?", { sender: "test:trent", direct: true });

    await page.locator("#pairings", { hasText: "test:trent" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
  });

  it("adds, edits and deletes a route, and shows the runs", async () => {
    world.kernel.groups.add("support", "Support");
    const password = await addUser(world.instance, "olga", true);
    page.on("dialog", (dialog) => void dialog.accept());
    await signIn("olga", password);
    await page.getByRole("link", { name: "Routes" }).click();
    await page.getByRole("heading", { name: "Route table" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    const rows = () => world.kernel.store.db.prepare("SELECT id, seq, match, target, mode FROM route_table_routes ORDER BY seq, id").all() as Array<{ id: number; seq: number; match: string; target: string; mode: string }>;
    const before = rows().length;

    await page.getByLabel("Match", { exact: true }).fill("platform=telegram verb=mention");
    await page.getByLabel("Target group", { exact: true }).fill("nowhere");
    await page.getByRole("button", { name: "Add" }).click();
    await page.locator("#add-route .error", { hasText: "group nowhere does not exist" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    await page.getByLabel("Target group", { exact: true }).fill("support");
    await page.getByRole("button", { name: "Add" }).click();
    await page.locator(".notice", { hasText: "added: platform=telegram verb=mention → support" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    const added = rows().find((row) => row.target === "support")!;
    expect(added).toMatchObject({ match: "platform=telegram verb=mention", mode: "run" });
    expect(rows()).toHaveLength(before + 1);

    await page.getByLabel(`Mode of route ${added.id}`).selectOption("observe");
    await page.locator(`#route-${added.id}`).getByRole("button", { name: "Save" }).click();
    await page.locator(".notice", { hasText: `route ${added.id} replaced` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    const edited = rows().find((row) => row.target === "support")!;
    expect(edited).toMatchObject({ match: "platform=telegram verb=mention", mode: "observe", seq: added.seq });
    await page.screenshot({ path: join(chromium.folder(), "routes.png"), fullPage: true });

    await page.locator(`#route-${edited.id}`).getByRole("button", { name: "Delete" }).click();
    await page.locator(".notice", { hasText: `route ${edited.id} deleted` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(rows().some((row) => row.target === "support")).toBe(false);
    expect(world.kernel.instance.audit.list(10).map((entry) => entry.action)).toEqual(["route.delete", "route.edit", "route.add"]);
  });

  it("follows messages to their trace and shows the day's runs", async () => {
    const password = await addUser(world.instance, "olga", true);
    // Senders are strangers on this world's pairing policy, except the operator.
    for (const chat of ["c1", "c2"]) await world.say(chat, `question in ${chat}`, { sender: OPERATOR });
    const db = world.kernel.store.db;
    await waitFor(() => (db.prepare("SELECT count(*) AS n FROM runs WHERE state = 'done'").get() as { n: number }).n >= 2, { what: "the runs" });
    await signIn("olga", password);
    await page.getByRole("heading", { name: "Status", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });

    await page.getByRole("link", { name: "Activity" }).click();
    await page.getByRole("heading", { name: "Newest messages" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await page.locator("#activity-list").textContent()).toContain("question in c2");
    await page.screenshot({ path: join(chromium.folder(), "activity.png"), fullPage: true });

    // The list reloads itself when a message is stored.
    await world.say("c3", "a late question", { sender: OPERATOR });
    await page.locator("#activity-list", { hasText: "a late question" }).waitFor({ timeout: SHOW_TIMEOUT_MS });

    const first = db.prepare("SELECT seq, run_id FROM messages WHERE text = 'question in c1'").get() as { seq: number; run_id: string };
    await page.getByRole("link", { name: String(first.seq), exact: true }).click();
    await page.getByRole("heading", { name: `Message ${first.seq}` }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await page.locator("#trace").textContent()).toContain(first.run_id);
    expect(await page.locator("#trace").textContent()).toContain("delivered");
    await page.screenshot({ path: join(chromium.folder(), "trace.png"), fullPage: true });

    await page.getByRole("link", { name: "Runs" }).click();
    await page.getByRole("heading", { name: "Runs", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    const listed = await page.locator("#run-list tbody tr").count();
    expect(listed).toBe((db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n);
    await page.screenshot({ path: join(chromium.folder(), "runs.png"), fullPage: true });
  });

  it("creates, renames, limits and removes a group", async () => {
    const password = await addUser(world.instance, "olga", true);
    page.on("dialog", (dialog) => void dialog.accept());
    const groups = () => world.kernel.store.db.prepare("SELECT folder, name FROM groups ORDER BY folder").all() as Array<{ folder: string; name: string }>;
    await signIn("olga", password);
    await page.getByRole("heading", { name: "Status", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });

    await page.getByRole("link", { name: "Groups" }).click();
    await page.getByRole("heading", { name: "Folder tree" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    await page.getByLabel("Folder", { exact: true }).fill("Sales");
    await page.getByRole("button", { name: "Create" }).click();
    await page.locator("#create-group .error", { hasText: 'segment "Sales"' }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    await page.getByLabel("Folder", { exact: true }).fill("main/sales");
    await page.getByLabel("Name", { exact: true }).fill("Sales team");
    await page.getByRole("button", { name: "Create" }).click();
    await page.locator(".notice", { hasText: "group main/sales created" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(groups()).toContainEqual({ folder: "main/sales", name: "Sales team" });
    await page.screenshot({ path: join(chromium.folder(), "groups.png"), fullPage: true });

    await page.getByRole("link", { name: "main/sales" }).click();
    await page.getByRole("heading", { name: "Group main/sales" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    await page.getByLabel("Name", { exact: true }).fill("Sales desk");
    await page.getByRole("button", { name: "Rename" }).click();
    await page.locator("#about .notice", { hasText: "renamed to Sales desk" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(groups()).toContainEqual({ folder: "main/sales", name: "Sales desk" });

    await page.getByLabel(/Operator overrides/).fill("react\n!send(chat=test:*)");
    await page.getByRole("button", { name: "Save overrides" }).click();
    await page.locator("#grants .notice", { hasText: "2 overrides saved" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(world.kernel.grants.rules("main/sales").overrides).toEqual(["react", "!send(chat=test:*)"]);
    await page.getByRole("link", { name: "PERSONA.md" }).click();
    await page.locator("pre.file").waitFor({ timeout: SHOW_TIMEOUT_MS });
    await page.screenshot({ path: join(chromium.folder(), "group.png"), fullPage: true });

    await page.getByRole("button", { name: "Remove group" }).click();
    await page.locator(".notice", { hasText: "group main/sales removed" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(page.url()).toBe(`${world.instance.url}/dash/groups?removed=main%2Fsales`);
    expect(groups().some((group) => group.folder === "main/sales")).toBe(false);
    expect(world.kernel.instance.audit.list(10).map((entry) => entry.action)).toEqual(["group.remove", "grants.set", "group.rename", "group.create"]);
  });

  it("renews an expired sign-in without losing what was typed", async () => {
    const password = await addUser(world.instance, "olga", true);
    await signIn("olga", password);
    await page.getByRole("heading", { name: "Status", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    await page.goto(`${world.instance.url}/dash/groups/main`);
    await page.getByLabel(/Operator overrides/).fill("react");

    // The access cookie lasts minutes; dropping it is what its expiry looks like to the page.
    await context!.clearCookies({ name: "arizuko_access" });
    await page.getByRole("button", { name: "Save overrides" }).click();
    await page.locator("#grants .notice", { hasText: "1 override saved" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(world.kernel.grants.rules("main").overrides).toEqual(["react"]);
    expect(page.url()).toBe(`${world.instance.url}/dash/groups/main`);

    // A page opened after the expiry goes through sign-in and straight back.
    await context!.clearCookies({ name: "arizuko_access" });
    await page.goto(`${world.instance.url}/dash/activity`);
    await page.getByRole("heading", { name: "Activity", level: 1 }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(page.url()).toBe(`${world.instance.url}/dash/activity`);
  });

  it("tells a user who is not an operator why the page is closed", async () => {
    const password = await addUser(world.instance, "ada");
    await signIn("ada", password);

    await page.getByRole("heading", { name: "Not an operator" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await page.locator("main").textContent()).toContain("arizuko user role ada operator");
  });
});
