/**
 * The web chat page as a signed-in user and a share-link visitor use it, in a real
 * headless Chromium against a real kernel with the default plugins and the demo agent.
 * Screenshots land in <tmp>/arizuko-browser-artifacts/accounts.
 */
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { useChromium } from "./helpers/chromium.js";
import { addUser } from "./helpers/people.js";

/** Milliseconds to wait for the page to show something, the demo agent's reply included. */
const SHOW_TIMEOUT_MS = 15_000;
const mainReply = (text: string) => `[demo] I am the main assistant of this arizuko instance. You said: ${text}`;

const chromium = useChromium("accounts");
let context: BrowserContext | undefined;
let page: Page;
let instance: TestInstance;
let password: string;

beforeEach(async () => {
  const browser = chromium.browser();
  instance = await startInstance();
  instance.kernel.groups.add("sales", "Sales");
  password = await addUser(instance, "ada");
  for (const group of ["main", "sales"]) await instance.kernel.runCli(["user", "join", "ada", group]);
  context = await browser.newContext();
  page = await context.newPage();
  // Topic names are asked with prompt(); the test answers the next one from this queue.
  page.on("dialog", (dialog) => void dialog.accept(answers.shift() ?? ""));
});

const answers: string[] = [];

afterEach(async ({ task }) => {
  await chromium.keepFailure(task, context && page);
  await context?.close();
  context = undefined;
  await instance?.dispose();
});

async function signIn(name: string, secret: string): Promise<void> {
  await page.goto(instance.url + "/");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function connected(): Promise<void> {
  await page.locator("#connection", { hasText: /^connected$/ }).waitFor({ timeout: SHOW_TIMEOUT_MS });
}

async function send(text: string): Promise<void> {
  const box = page.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

async function waitForMessage(text: string): Promise<void> {
  await page.locator("#messages > li", { hasText: text }).last().waitFor({ timeout: SHOW_TIMEOUT_MS });
}

/** Returns the texts shown in the conversation, without sender and time lines. */
function shownTexts(): Promise<string[]> {
  return page.locator("#messages > li .body").evaluateAll((items) => items.map((item) => (item as HTMLElement).innerText.trim()));
}

const topicButton = (name: string) => page.locator("#topics").getByRole("button", { name, exact: true });
const groupButton = (name: string) => page.locator("#groups").getByRole("button", { name, exact: true });

describe("web chat for signed-in users", () => {
  it("signs in, chats, switches topics, keeps history over a reload and signs out", async () => {
    await signIn("ada", password);
    await connected();
    expect(await page.locator("#account").textContent()).toBe("signed in as ada");
    expect(await page.locator("#chat-name").textContent()).toBe("Main · General");
    expect(await page.locator("#groups button").allTextContents()).toEqual(["Main (main)", "Sales (sales)"]);

    await send("hello main");
    await waitForMessage(mainReply("hello main"));

    answers.push("Trip");
    await page.getByRole("button", { name: "New topic" }).click();
    await topicButton("Trip").waitFor();
    expect(await topicButton("Trip").getAttribute("aria-current")).toBe("true");
    expect(await shownTexts()).toEqual([]);
    await send("pack the bags");
    await waitForMessage(mainReply("pack the bags"));
    expect(await shownTexts()).toEqual(["pack the bags", mainReply("pack the bags")]);

    await topicButton("General").click();
    await page.locator("#messages > li", { hasText: "hello main" }).first().waitFor();
    expect(await shownTexts()).toEqual(["hello main", mainReply("hello main")]);

    answers.push("Everyday");
    await page.getByRole("button", { name: "Rename topic" }).click();
    await topicButton("Everyday").waitFor();
    await topicButton("Trip").click();
    await page.screenshot({ path: join(chromium.folder(), "chat.png"), fullPage: true });

    await page.reload();
    await connected();
    await waitForMessage(mainReply("pack the bags"));
    expect(await shownTexts()).toEqual(["pack the bags", mainReply("pack the bags")]);
    expect(await page.locator("#topics button").allTextContents()).toEqual(["Everyday", "Trip"]);
    expect(await page.locator("#chat-name").textContent()).toBe("Main · Trip");

    await groupButton("Sales (sales)").click();
    await page.locator("#chat-name", { hasText: "Sales · General" }).waitFor();
    await connected();
    await send("hello sales");
    await page.locator("#messages > li", { hasText: "[demo]" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await page.locator("#messages > li .meta").last().textContent()).toMatch(/^sales · /);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    expect(await page.locator("#workspace").isHidden()).toBe(true);
    const stored = instance.kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in'").get() as { n: number };
    expect(stored.n).toBe(3);
  });

  it("stays signed in after the short-lived access cookie expires", async () => {
    await signIn("ada", password);
    await connected();
    await send("before it expired");
    await waitForMessage(mainReply("before it expired"));

    // What the browser does when the access cookie's Max-Age has passed.
    await context!.clearCookies({ name: "arizuko_access" });
    await send("after it expired");
    await waitForMessage(mainReply("after it expired"));

    await context!.clearCookies({ name: "arizuko_access" });
    await page.reload();
    await connected();
    expect(await page.locator("#account").textContent()).toBe("signed in as ada");
    expect(await shownTexts()).toEqual(["before it expired", mainReply("before it expired"), "after it expired", mainReply("after it expired")]);
  });

  it("says why a sign-in failed", async () => {
    await signIn("ada", "not the password");

    await page.locator("#sign-in-error", { hasText: "wrong username or password" }).waitFor();
    expect(await page.locator("#workspace").isHidden()).toBe(true);
  });

  it("renders the agent's Markdown and shows markup as text", async () => {
    await signIn("ada", password);
    await connected();
    const text = "**bold** <img src=x onerror=\"document.title='pwned'\"> [link](javascript:alert(1))";
    await send(text);
    await page.locator("#messages > li", { hasText: "[demo]" }).waitFor({ timeout: SHOW_TIMEOUT_MS });

    expect(await page.locator("#messages strong").count()).toBe(2);
    expect(await page.locator("#messages img").count()).toBe(0);
    expect(await page.locator("#messages a").count()).toBe(0);
    expect(await page.title()).toBe("arizuko chat");
    expect((await shownTexts())[0]).toBe("bold <img src=x onerror=\"document.title='pwned'\"> link");
  });

  it("uploads a picture and shows it in the conversation", async () => {
    await signIn("ada", password);
    await connected();
    const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64");

    await page.locator("#file").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: png });
    await page.locator("#attached", { hasText: "attached: dot.png" }).waitFor();
    await send("a picture");
    const image = page.locator("#messages img[alt='dot.png']");
    await image.waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await image.evaluate((element) => (element as HTMLImageElement).naturalWidth)).toBe(1);
    await waitForMessage(mainReply("a picture"));
  });

  it("fits a phone's screen", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn("ada", password);
    await connected();
    await send("hello from a phone");
    await waitForMessage(mainReply("hello from a phone"));

    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await page.screenshot({ path: join(chromium.folder(), "chat-phone.png") });
  });
});

describe("web chat through a share link", () => {
  it("lets an anonymous visitor chat with the link's group", async () => {
    const made = await instance.kernel.runCli(["web", "share", "sales"]);
    const path = /^\s+(\/s\/\S+)$/m.exec(made.stdout)![1]!;

    await page.goto(instance.url + path);
    await connected();
    expect(await page.locator("#sign-in").isHidden()).toBe(true);
    expect(await page.locator("#chat-name").textContent()).toBe("Sales · General");
    await send("question from a visitor");
    await page.locator("#messages > li", { hasText: "[demo]" }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await page.locator("#messages > li .meta").last().textContent()).toMatch(/^sales · /);
  });
});
