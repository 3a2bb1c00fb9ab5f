// Ingest: chat messages posted to the web channel's HTTP API, each committed before its
// 202, then admitted, routed and queued, with runs finished at once by a no-op runner.
// The rate counts messages fully processed (routed and taken by a run) per second:
// autocannon's own load duration plus the time the backlog took to settle after it.
import { startKernel, visitor, drained } from "./lib/instance.mjs";
import { cannon } from "./lib/load.mjs";
import { NoopRunner } from "./lib/noop-runner.mjs";
import { BODY } from "./ceilings.mjs";

const CHATS = Array.from({ length: 8 }, (_, index) => `bench-${index}`);

export async function ingest({ seconds, connections }) {
  const instance = await startKernel({ runner: new NoopRunner() });
  try {
    const cookie = await visitor(instance.url, CHATS);
    const result = await cannon({
      url: instance.url,
      connections,
      duration: seconds,
      requests: CHATS.map((chat) => ({
        method: "POST",
        path: `/web/chats/${chat}/messages`,
        body: BODY,
        headers: { "content-type": "application/json", cookie },
      })),
    });
    const loadEnded = performance.now();
    await drained(instance.kernel);
    const elapsed = result.durationSeconds + (performance.now() - loadEnded) / 1000;

    const db = instance.kernel.store.db;
    const stored = db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in'").get().n;
    const done = db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state = 'done'").get().n;
    return {
      messagesPerSecond: done / elapsed,
      acknowledgedPerSecond: result.requestsPerSecond,
      latencyP50: result.latencyP50,
      latencyP99: result.latencyP99,
      stored,
      done,
      non2xx: result.non2xx,
      errors: result.errors,
    };
  } finally {
    await instance.stop();
  }
}
