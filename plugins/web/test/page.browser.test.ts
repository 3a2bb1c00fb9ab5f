/**
 * Tests the web chat page as a visitor uses it, in a real headless Chromium against a
 * real kernel that runs the default config (web chat, route table and demo harness).
 * Chromium comes from scripts/provision-browser.sh, which scripts/test-setup.ts runs
 * once per test run.
 */
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { useChromium } from "./helpers/chromium.js";

/** Screenshots: the chat after a reply and the page of each failed test. */
const chromium = useChromium("visitor");
/** Milliseconds to wait for the page to show something, the demo agent's reply included. */
const SHOW_TIMEOUT_MS = 15_000;

const demoReply = (text: string) => `[demo] I am the main assistant of this arizuko instance. You said: ${text}`;

/** One message as the page shows it. */
interface ShownMessage {
  seq: string | null;
  mine: boolean;
  /** The message text: the item's text without its sender and time line. */
  text: string;
}

let context: BrowserContext | undefined;
let page: Page;
let instance: TestInstance;

beforeEach(async () => {
  const browser = chromium.browser();
  instance = await startInstance();
  context = await browser.newContext();
  page = await context.newPage();
});

afterEach(async ({ task }) => {
  await chromium.keepFailure(task, context && page);
  await context?.close();
  context = undefined;
  // Undefined until an instance started. A failed beforeEach leaves the previous test's instance, and disposing it again is safe.
  await instance?.dispose();
});

/** Opens the page on `chat` and waits until its event stream is connected. */
async function openChat(target: Page, chat: string): Promise<void> {
  await target.goto(`${instance.url}/#${chat}`);
  await target.locator("#connection", { hasText: /^connected$/ }).waitFor({ timeout: SHOW_TIMEOUT_MS });
}

/** Types `text` into the composer and sends it with Enter, as a visitor does. */
async function send(target: Page, text: string): Promise<void> {
  const box = target.getByLabel("Message", { exact: true });
  await box.fill(text);
  await box.press("Enter");
}

async function waitForMessage(target: Page, text: string): Promise<void> {
  await target.locator("#messages > li", { hasText: text }).last().waitFor({ timeout: SHOW_TIMEOUT_MS });
}

async function waitForCount(target: Page, count: number): Promise<void> {
  await target.waitForFunction((n) => document.querySelectorAll("#messages > li").length >= n, count, { timeout: SHOW_TIMEOUT_MS });
}

async function shownMessages(target: Page): Promise<ShownMessage[]> {
  return target.locator("#messages > li").evaluateAll((items) =>
    items.map((item) => ({
      seq: item.getAttribute("data-seq"),
      mine: item.classList.contains("mine"),
      text: (item.lastChild as HTMLElement | null)?.innerText.trim() ?? "",
    })),
  );
}

/** Texts of the stored messages of a web chat, in seq order. */
function storedTexts(chat: string): string[] {
  const rows = instance.kernel.store.db.prepare("SELECT text FROM messages WHERE chat = ? ORDER BY seq").all(`web:local/${chat}`) as Array<{ text: string }>;
  return rows.map((row) => row.text);
}

describe("web chat page in Chromium", () => {
  it("shows a message and the demo reply", async () => {
    const text = "hello from the browser";
    await openChat(page, "c1");
    expect(await page.locator("#chat-name").textContent()).toBe("chat c1");

    await send(page, text);
    await waitForMessage(page, text);
    expect(await page.getByLabel("Message", { exact: true }).inputValue()).toBe("");
    await waitForMessage(page, demoReply(text));

    const messages = await shownMessages(page);
    expect(messages.map((m) => m.text)).toEqual([text, demoReply(text)]);
    expect(messages.map((m) => m.mine)).toEqual([true, false]);
    expect(await page.locator("#messages > li .meta").first().textContent()).toMatch(/^you · /);
    expect(await page.locator("#messages > li .meta").last().textContent()).toMatch(/^main · /);
    await page.screenshot({ path: join(chromium.folder(), "chat.png"), fullPage: true });
  });

  it("shows a delegation as a hand-off, not as the visitor's", async () => {
    instance.kernel.groups.add("main/help", "Help desk");
    await openChat(page, "d1");
    await send(page, "@help please check the order");
    await waitForMessage(page, "please check the order");
    await waitForCount(page, 3);

    const handOff = page.locator("#messages > li", { has: page.locator(".meta", { hasText: /^main → main\/help · / }) });
    await handOff.waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await handOff.getAttribute("class")).toBe("notice");
    const metas = await page.locator("#messages > li .meta").allTextContents();
    expect(metas.map((meta) => meta.split(" · ")[0])).toEqual(["you", "main → main/help", "main/help"]);
  });

  it("shows history once after reload", async () => {
    const text = "hello from the browser";
    await openChat(page, "c1");
    await send(page, text);
    await waitForMessage(page, demoReply(text));

    await page.reload();
    await page.locator("#connection", { hasText: /^connected$/ }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    await waitForCount(page, 2);

    const messages = await shownMessages(page);
    expect(messages.map((m) => m.text)).toEqual([text, demoReply(text)]);
    expect(new Set(messages.map((m) => m.seq)).size).toBe(2);
    expect(storedTexts("c1")).toEqual([text, demoReply(text)]);
  });

  it("shows history once after a server restart", async () => {
    await openChat(page, "c1");
    await send(page, "before the restart");
    await waitForMessage(page, demoReply("before the restart"));

    // Same folder and port, so the open page's EventSource reconnects with Last-Event-ID.
    // NOTE: another process could take the freed port before the restart binds it again.
    const port = new URL(instance.url).port;
    await instance.stop();
    await page.locator("#connection", { hasText: /^reconnecting/ }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    instance = await startInstance({ dir: instance.dir, config: { http: { port: Number(port) } } });
    await page.locator("#connection", { hasText: /^connected$/ }).waitFor({ timeout: SHOW_TIMEOUT_MS });

    await send(page, "after the restart");
    await waitForMessage(page, demoReply("after the restart"));

    const expected = ["before the restart", demoReply("before the restart"), "after the restart", demoReply("after the restart")];
    expect((await shownMessages(page)).map((m) => m.text)).toEqual(expected);
    expect(storedTexts("c1")).toEqual(expected);
  });

  it("shows markup in a message as text", async () => {
    const text = "<b>not bold</b>";
    await openChat(page, "c1");
    await send(page, text);
    await waitForMessage(page, demoReply(text));

    expect((await shownMessages(page)).map((m) => m.text)).toEqual([text, demoReply(text)]);
    expect(await page.locator("#messages b").count()).toBe(0);
    expect(await page.locator("#messages > li").first().innerText()).toContain(text);
  });

  it("keeps a line typed with Shift+Enter", async () => {
    await openChat(page, "c1");
    const box = page.getByLabel("Message", { exact: true });
    await box.pressSequentially("first line");
    await box.press("Shift+Enter");
    await box.pressSequentially("second line");
    expect(await box.inputValue()).toBe("first line\nsecond line");
    expect(await page.locator("#messages > li").count()).toBe(0);

    await box.press("Enter");
    await waitForMessage(page, demoReply("first line\nsecond line"));
    expect((await shownMessages(page))[0]!.text).toBe("first line\nsecond line");
  });

  it("opens despite a malformed hash", async () => {
    await page.goto(`${instance.url}/#%E0%A4%A`);
    await page.locator("#connection", { hasText: /^connected$/ }).waitFor({ timeout: SHOW_TIMEOUT_MS });

    expect(await page.locator("#chat-name").textContent()).toMatch(/^chat chat-[a-z0-9]+$/);
    await send(page, "still works");
    await waitForMessage(page, demoReply("still works"));
  });

  it("says why another visitor's chat is closed", async () => {
    await openChat(page, "c1");
    const stranger = await context!.browser()!.newContext();
    try {
      const other = await stranger.newPage();
      await other.goto(`${instance.url}/#c1`);
      await other.locator("#connection", { hasText: /^disconnected: / }).waitFor({ timeout: SHOW_TIMEOUT_MS });
      expect(await other.locator("#connection").textContent()).toContain("chat c1 not found for this caller");
    } finally {
      await stranger.close();
    }
  });

  it("keeps the text of a failed send", async () => {
    await openChat(page, "c1");
    await instance.stop();
    await page.locator("#connection", { hasText: /^reconnecting/ }).waitFor({ timeout: SHOW_TIMEOUT_MS });

    await send(page, "sent while the server is down");
    await page.locator("#connection", { hasText: /^not sent: / }).waitFor({ timeout: SHOW_TIMEOUT_MS });
    expect(await page.getByLabel("Message", { exact: true }).inputValue()).toBe("sent while the server is down");
  });
});
