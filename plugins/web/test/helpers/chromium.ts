/**
 * Headless Chromium for the browser tests. Chromium comes from
 * scripts/provision-browser.sh, which scripts/test-setup.ts runs once per test run.
 * Screenshots go to a folder per test file under the system's temporary folder.
 */
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, inject } from "vitest";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Emptied and made again, so screenshots of an earlier run do not look like this run's. */
export function artifactsFolder(name: string): string {
  const folder = join(tmpdir(), "arizuko-browser-artifacts", name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  return folder;
}

/**
 * Launches Chromium, or returns why it cannot. Callers throw the error in beforeEach, so
 * every test fails with it: an error thrown in beforeAll would mark the tests skipped in
 * vitest 4.1 reports, so a count of failed tests would miss it.
 */
export async function launchChromium(): Promise<{ browser: Browser } | { error: Error }> {
  const provisioning = inject("browser");
  if (!provisioning.ok) return { error: new Error(`Chromium is not available for the browser tests: ${provisioning.reason}`) };
  try {
    // playwright-core gives each launch a fresh temporary profile and deletes it on close.
    return { browser: await chromium.launch({ executablePath: provisioning.executablePath, args: CHROMIUM_ARGS, timeout: 60_000 }) };
  } catch (error) {
    return { error: new Error(`Chromium at ${provisioning.executablePath} failed to launch: ${(error as Error).message}`, { cause: error }) };
  }
}

export interface ChromiumForTests {
  /** Where this test file's screenshots go. */
  folder(): string;
  /** The launched browser; throws why Chromium could not start, so every test fails with it. */
  browser(): Browser;
  /** Saves a screenshot of `page` when the test failed, and logs its path. */
  keepFailure(task: { name: string; result?: { state?: string } }, page: Page | undefined): Promise<void>;
}

/** Launches Chromium once for the calling test file and closes it after the file's tests. */
export function useChromium(name: string): ChromiumForTests {
  let folder = "";
  let launched: { browser: Browser } | { error: Error } = { error: new Error("Chromium was not launched yet") };

  beforeAll(async () => {
    folder = artifactsFolder(name);
    launched = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    if ("browser" in launched) await launched.browser.close();
  });

  return {
    folder: () => folder,
    browser() {
      if ("error" in launched) throw launched.error;
      return launched.browser;
    },
    async keepFailure(task, page) {
      if (task.result?.state !== "fail" || !page) return;
      const file = join(folder, `failed-${task.name.replace(/[^A-Za-z0-9]+/g, "-")}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.error(`browser test failed; screenshot of the page: ${file}`);
    },
  };
}
