// Latency from inbound commit to the runner receiving the run spec, at fixed rates.
// The commit time is taken by an afterStore tap (it runs right after the commit), the
// receive time by the runner, both with performance.now() in the same process.
import { definePlugin } from "@arizuko/sdk";
import { startKernel, visitor, drained } from "./lib/instance.mjs";
import { paced } from "./lib/load.mjs";
import { NoopRunner } from "./lib/noop-runner.mjs";
import { percentile } from "./lib/stats.mjs";

const CHATS = Array.from({ length: 50 }, (_, index) => `latency-${index}`);

export async function latency({ rates }) {
  const committed = new Map();
  const samples = [];
  const runner = new NoopRunner((frame) => {
    const now = performance.now();
    for (const message of frame.messages) {
      const at = committed.get(message.id);
      if (at === undefined) continue;
      samples.push(now - at);
      committed.delete(message.id);
    }
  });
  const clock = definePlugin({
    name: "bench-clock",
    version: "1.0.0",
    apiVersion: 1,
    register(host) {
      host.hooks.afterStore.tap(({ message }) => {
        if (message.direction === "in") committed.set(message.id, performance.now());
      });
    },
  });

  const instance = await startKernel({ runner, plugins: [{ definition: clock }] });
  try {
    const cookie = await visitor(instance.url, CHATS);
    const results = [];
    for (const { rate, seconds } of rates) {
      samples.length = 0;
      const sent = await paced({ url: instance.url, cookie, chats: CHATS, rate, seconds });
      await drained(instance.kernel);
      results.push({ rate, sent: sent.accepted, p50: percentile(samples, 50), p99: percentile(samples, 99), max: percentile(samples, 100) });
    }
    return results;
  } finally {
    await instance.stop();
  }
}
