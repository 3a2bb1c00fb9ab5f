/**
 * The dashboard in a real headless Chromium: an operator signs in, reads the Status page,
 * approves a pairing request with a click, and sees it in the audit log. Screenshots land
 * in <tmp>/arizuko-browser-artifacts/dashboard.
 */
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RoutingWorld } from "../../../core/test/helpers/routing-world.js";
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

  it("tells a user who is not an operator why the page is closed", async () => {
    const password = await addUser(world.instance, "ada");
    await signIn("ada", password);

    await page.getByRole("heading", { name: "Not an operator" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await page.locator("main").textContent()).toContain("arizuko user role ada operator");
  });
});
