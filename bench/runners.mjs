// Agent runner figures: from a message's commit to the first frame its agent runner
// sends, with the demo harness (which replies at once, so the figure is the runner's
// own overhead). Each runner starts a runner per unit (cold: a child process or a
// container) and feeds the unit's next message to it (warm). The docker
// figures need root and apt-get: they use an isolated engine as the tests do.
import { provisionDocker, stopDocker } from "../scripts/docker-setup.mjs";
import { startKernel, visitor } from "./lib/instance.mjs";
import { percentile } from "./lib/stats.mjs";

/** Posts `text` to `chat` and resolves with ms from its commit to the run's first agent frame. */
function firstOutput(kernel, url, cookie, chat, text) {
  return new Promise((resolve, reject) => {
    let committedAt = null;
    let runId = null;
    const disposers = [
      kernel.hooks.tap("afterStore", "bench", ({ message }) => {
        if (message.chat === `web:local/${chat}` && message.text === text) committedAt = performance.now();
      }),
      kernel.hooks.tap("onAgentStart", "bench", (event) => {
        if (event.unit.chat === `web:local/${chat}`) runId = event.runId;
      }),
      kernel.hooks.tap("onAgentOutput", "bench", (event) => {
        if (event.unit.chat !== `web:local/${chat}` || committedAt === null) return;
        if (runId !== null && event.runId !== runId) return;
        const elapsed = performance.now() - committedAt;
        for (const dispose of disposers) dispose();
        resolve(elapsed);
      }),
    ];
    fetch(`${url}/web/chats/${chat}/messages`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ text }) })
      .then((response) => response.arrayBuffer())
      .catch(reject);
  });
}

async function idle(kernel) {
  while (kernel.queue.activeRuns > 0) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function measure(config, samples, { warm }) {
  const instance = await startKernel({ config });
  try {
    const chats = Array.from({ length: samples }, (_, index) => `b${index}`);
    const cookie = await visitor(instance.url, warm ? ["w"] : chats);
    const cold = [];
    const warmTurns = [];
    for (const chat of chats) {
      cold.push(await firstOutput(instance.kernel, instance.url, cookie, warm ? `w${chat}` : chat, `cold ${chat}`));
      await idle(instance.kernel);
      if (!warm) continue;
      warmTurns.push(await firstOutput(instance.kernel, instance.url, cookie, `w${chat}`, `warm ${chat}`));
      await idle(instance.kernel);
    }
    return { cold, warm: warmTurns };
  } finally {
    await instance.stop();
  }
}

export async function runners({ runnerSamples }) {
  const result = { process: await measure({}, runnerSamples, { warm: true }), docker: null, dockerError: null };
  const docker = provisionDocker();
  if (!docker.ok) {
    result.dockerError = docker.reason;
    return result;
  }
  try {
    const config = { runner: { kind: "docker", docker: { image: docker.image, host: docker.socket } } };
    result.docker = await measure(config, runnerSamples, { warm: true });
  } finally {
    stopDocker(docker);
  }
  return result;
}

export const median = (values) => (values.length > 0 ? percentile(values, 50) : null);
