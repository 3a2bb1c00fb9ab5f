// Starts an arizuko kernel in this process on a temporary data folder, for benchmarks
// that need to see inside it (run start times, intake backlog).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Kernel, loadConfig } from "@arizuko/core";

export async function startKernel({ config = {}, runner, plugins = [] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "arizuko-bench-"));
  const file = join(dir, "arizuko.yaml");
  writeFileSync(file, JSON.stringify({ http: { port: 0 }, ...config }));

  const resolved = loadConfig({ file });
  const log = pino({ level: "warn" }, pino.destination({ dest: join(dir, "arizuko.log"), sync: false }));
  const kernel = await Kernel.boot(resolved, "server", log, { runner, plugins });
  const url = await kernel.start();

  return {
    kernel,
    url,
    dir,
    async stop() {
      await kernel.stop("benchmark finished");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the chat page once to get a visitor cookie, and claims `chats` for that visitor. */
export async function visitor(url, chats = []) {
  const page = await fetch(`${url}/`);
  const cookie = page.headers.getSetCookie()[0].split(";")[0];
  await page.arrayBuffer();
  for (const chat of chats) {
    const response = await fetch(`${url}/web/chats/${chat}/messages?limit=1`, { headers: { cookie } });
    await response.arrayBuffer();
  }
  return cookie;
}

/** Resolves once every routed message has been taken by a run and the queue is empty. */
export async function drained(kernel) {
  for (;;) {
    await kernel.intake.idle();
    const pending = kernel.store.db.prepare("SELECT count(*) AS n FROM messages WHERE state IN ('pending', 'running')").get().n;
    if (pending === 0 && kernel.queue.activeRuns === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
