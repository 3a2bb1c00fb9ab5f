/**
 * The docker runner against a real, isolated Docker engine (provisioned by
 * scripts/docker-setup.mjs): the demo agent replies to a message from the web channel
 * in a hardened container, which calls an MCP tool over the mounted socket; the
 * container is removed afterwards, and start-up removes containers an earlier host left.
 */
import { spawnSync } from "node:child_process";
import Docker from "dockerode";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { FakeAnthropic, toolResults } from "./helpers/fake-anthropic.js";
import { API_KEY, FakeOpenAI, memoryModel, systemOf } from "./helpers/fake-openai.js";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { Client } from "./helpers/client.js";
import { startInstance, tempDir, type TestInstance } from "./helpers/instance.js";
import { ARIZUKO_BIN, startArizuko, type RunningArizuko } from "./helpers/process.js";
import type { SseStream } from "./helpers/sse.js";
import { waitFor } from "./helpers/wait.js";

const provisioning = inject("docker");
let docker: Docker;
let instance: TestInstance | undefined;
let stream: SseStream | undefined;

beforeAll(() => {
  if (!provisioning.ok) throw new Error(`no Docker engine for the docker runner tests: ${provisioning.reason}`);
  docker = new Docker({ socketPath: provisioning.socket });
});

afterEach(async () => {
  stream?.close();
  stream = undefined;
  await instance?.dispose();
  instance = undefined;
});

function dockerConfig(extra: Record<string, unknown> = {}) {
  if (!provisioning.ok) throw new Error(provisioning.reason);
  return { image: provisioning.image, host: provisioning.socket, ...extra };
}

function config(extra: Record<string, unknown> = {}) {
  return { runner: { kind: "docker", timeoutMs: 30_000, docker: dockerConfig() }, ...extra };
}

const containersOf = (label: string) => docker.listContainers({ all: true, filters: { label: [label] } });

/** Runs `script` with node inside a running container and returns its stdout. */
async function execNode(id: string, script: string): Promise<string> {
  const exec = await docker.getContainer(id).exec({ Cmd: ["node", "-e", script], AttachStdout: true, AttachStderr: true });
  const output = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    output.on("data", (chunk: Buffer) => chunks.push(chunk));
    output.on("end", () => resolve());
  });
  // The multiplexed stream: 8-byte frame headers before each chunk.
  const buffer = Buffer.concat(chunks);
  let text = "";
  for (let offset = 0; offset + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset + 4);
    text += buffer.subarray(offset + 8, offset + 8 + size).toString("utf8");
    offset += 8 + size;
  }
  return text.trim();
}

describe("the docker runner", () => {
  it("answers in a hardened container that calls a tool over the mounted socket", async () => {
    instance = await startInstance({ config: config({ agent: { harness: "demo", options: { delayMs: 2000 } }, runner: { kind: "docker", timeoutMs: 30_000, keepWarmMs: 500, docker: dockerConfig() } }) });
    const visitor = instance.client();
    const script = ["tools", 'call send {"chat":"web:local/other","text":"from a container"}'].join("\n");
    expect((await visitor.say("c1", script)).status).toBe(202);
    stream = await visitor.events("c1");

    // While the demo agent "types", the running container is there to inspect.
    const [listed] = await waitFor(async () => {
      const found = await docker.listContainers({ filters: { label: ["arizuko.group=main"], status: ["running"] } });
      return found.length > 0 ? found : null;
    }, { what: "the agent container" });
    const container = await docker.getContainer(listed!.Id).inspect();
    expect(container.Config.User).toBe("1000:1000");
    expect(container.Config.Labels).toMatchObject({ "arizuko.group": "main", "arizuko.instance": instance.kernel.store.meta.get("epoch"), "arizuko.run": expect.stringMatching(/^run_/) });
    expect(container.HostConfig).toMatchObject({
      NetworkMode: "none",
      ReadonlyRootfs: true,
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Memory: 1024 * 1024 * 1024,
      PidsLimit: 256,
      Tmpfs: { "/tmp": expect.stringContaining("size=64m") },
    });
    const mounts = container.Mounts.map((mount) => [mount.Type, mount.Destination, mount.RW]).sort();
    expect(mounts).toEqual([
      ["bind", "/group", true],
      ["bind", "/run/arizuko", false],
      ["tmpfs", "/group/.arizuko", false],
    ]);

    // Inside: only this run's socket, no host state, no network interface but loopback.
    const seen = JSON.parse(await execNode(listed!.Id, `
      const fs = require("node:fs"), os = require("node:os");
      console.log(JSON.stringify({ run: fs.readdirSync("/run/arizuko"), state: fs.readdirSync("/group/.arizuko"), nets: Object.keys(os.networkInterfaces()), uid: process.getuid() }));
    `));
    expect(seen).toEqual({ run: [`${listed!.Labels["arizuko.run"]}.sock`], state: [], nets: ["lo"], uid: 1000 });

    // Another unit's container runs beside it: its socket, and the host's data folder, are out of reach.
    await visitor.say("c2", "hold on");
    const both = await waitFor(async () => {
      const found = await docker.listContainers({ filters: { label: ["arizuko.group=main"], status: ["running"] } });
      return found.length === 2 ? found : null;
    }, { what: "the second unit's container" });
    const otherRun = both.find((info) => info.Id !== listed!.Id)!.Labels["arizuko.run"]!;
    const dataDir = instance.kernel.resolved.dataDir;
    const otherSocket = readdirSync(join(dataDir, "run"))
      .map((unit) => join(dataDir, "run", unit, `${otherRun}.sock`))
      .find((path) => existsSync(path));
    expect(otherSocket).toBeDefined();
    const reach = JSON.parse(await execNode(listed!.Id, `
      const fs = require("node:fs");
      const seen = (path) => fs.existsSync(path);
      console.log(JSON.stringify({ socket: seen(${JSON.stringify(otherSocket)}), data: seen(${JSON.stringify(dataDir)}), config: seen(${JSON.stringify(join(instance.dir, "arizuko.yaml"))}), run: fs.readdirSync("/run/arizuko") }));
    `));
    expect(reach).toEqual({ socket: false, data: false, config: false, run: [`${listed!.Labels["arizuko.run"]}.sock`] });

    await stream.until((events) => events.messages<{ from_agent: boolean; text: string }>().some((message) => message.from_agent), 30_000, "the answer");
    const answer = stream.messages<{ from_agent: boolean; text: string }>().find((message) => message.from_agent)!;
    expect(answer.text).toMatch(/^\[demo\] tools: add_route, /m);
    expect(answer.text).toMatch(/^\[demo\] send: \{/m);
    const other = instance.kernel.store.messages.recent("web:local/other", 5);
    expect(other.map((message) => message.text)).toEqual(["from a container"]);

    // After the idle period the container exits and is removed.
    await waitFor(async () => (await containersOf(`arizuko.run=${listed!.Labels["arizuko.run"]}`)).length === 0, { what: "the container to be removed" });
  });

  it("serves model and warm turn", async () => {
    const fake = new FakeOpenAI(memoryModel);
    const baseUrl = await fake.start();
    try {
      // A short grace period: a warm container must outlive it between turns.
      instance = await startInstance({
        config: { runner: { kind: "docker", timeoutMs: 30_000, stopGraceMs: 300, docker: dockerConfig() }, agent: { harness: "openai" }, model: { baseUrl, apiKey: API_KEY, models: ["local-small"] } },
      });
      const visitor = instance.client();
      const envs: string[][] = [];
      const ids = new Set<string>();
      const watcher = setInterval(() => {
        void docker.listContainers({ filters: { label: ["arizuko.group=main"] } }).then(async (found) => {
          for (const info of found) {
            ids.add(info.Id);
            envs.push((await docker.getContainer(info.Id).inspect().catch(() => null))?.Config.Env ?? []);
          }
        });
      }, 50);

      const first = await visitor.say("c1", "Hello, my name is Ada");
      stream = await visitor.events("c1");
      const answers = () => stream!.messages<{ from_agent: boolean; seq: number; text: string }>().filter((message) => message.from_agent && message.seq > first.body.seq);
      await stream.until(() => answers().length === 1, 60_000, "the first answer");
      expect(answers()[0]!.text).toBe("Nice to meet you, Ada.");

      instance.kernel.runs.resetSession("web:local/c1", "");
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await visitor.say("c1", "What is my name?");
      await stream.until(() => answers().length === 2, 60_000, "the second answer");
      clearInterval(watcher);
      expect(answers()[1]!.text).toBe("You are Ada.");
      // The warm turn ran in the first turn's container and called tools there.
      expect(ids.size).toBe(1);
      expect(systemOf(fake.requests[2]!)).toContain("The user's name is Ada.");
      expect(fake.requests[3]!.body.messages.filter((message) => message.role === "tool")).toHaveLength(2);

      expect(systemOf(fake.requests[0]!)).toContain("I am the main assistant of this arizuko instance.");
      expect(fake.requests.every((seen) => seen.authorization === `Bearer ${API_KEY}`)).toBe(true);
      expect(envs.length).toBeGreaterThan(0);
      expect(envs.flat().some((entry) => entry.includes(API_KEY))).toBe(false);
    } finally {
      await fake.stop();
    }
  });

  it("runs claude in a container", async () => {
    const fake = new FakeAnthropic((request) =>
      toolResults(request).length > 0 ? { text: "Told the other chat." } : { toolUses: [{ name: "mcp__arizuko__send", input: { chat: "web:local/other", text: "hello from Claude" } }] },
    );
    const baseUrl = await fake.start();
    try {
      const model = { api: "anthropic", baseUrl, apiKey: API_KEY, models: ["claude-sonnet-4-5"] };
      instance = await startInstance({ config: config({ agent: { harness: "demo", groups: { main: { harness: "claude", model } } } }) });
      const visitor = instance.client();
      await visitor.say("c1", "tell the other chat hello");
      stream = await visitor.events("c1");
      const [listed] = await waitFor(async () => {
        const found = await docker.listContainers({ filters: { label: ["arizuko.group=main"] } });
        return found.length > 0 ? found : null;
      }, { what: "the agent container" });
      const env = (await docker.getContainer(listed!.Id).inspect()).Config.Env;

      await stream.until((events) => events.messages<{ from_agent: boolean }>().some((message) => message.from_agent), 60_000, "the answer");
      expect(stream.messages<{ from_agent: boolean; text: string }>().find((message) => message.from_agent)!.text).toBe("Told the other chat.");
      expect(instance.kernel.store.messages.recent("web:local/other", 5).map((message) => message.text)).toEqual(["hello from Claude"]);
      expect(fake.requests.every((request) => request.apiKey === API_KEY)).toBe(true);
      expect(env.some((entry) => entry.includes(API_KEY))).toBe(false);
    } finally {
      await fake.stop();
    }
  }, 90_000);

  it("recovers from a killed gateway", async () => {
    const dir = tempDir("arizuko-docker-kill-");
    writeFileSync(join(dir, "arizuko.yaml"), stringify(config({ agent: { harness: "demo", options: { delayMs: 3000 } } })));
    let gateway: RunningArizuko | undefined = await startArizuko(["--port", "0"], { cwd: dir, timeoutMs: 60_000 });
    try {
      let client = new Client(gateway.url);
      await client.get("/");
      expect((await client.say("k1", "survive this", { id: "m1" })).status).toBe(202);
      const [running] = await waitFor(async () => {
        const found = await docker.listContainers({ filters: { label: ["arizuko.group=main"], status: ["running"] } });
        return found.length > 0 ? found : null;
      }, { what: "the agent container" });
      const cookie = client.cookieHeader.split("=")[1]!;

      await gateway.kill("SIGKILL");
      gateway = await startArizuko(["--port", "0"], { cwd: dir, timeoutMs: 60_000 });
      expect(await containersOf(`arizuko.run=${running!.Labels["arizuko.run"]}`)).toHaveLength(0);

      client = new Client(gateway.url);
      client.setCookie("arizuko_visitor", cookie);
      const answered = await waitFor(async () => {
        const page = await client.request("GET", "/web/chats/k1/messages");
        return (page.body.messages as Array<{ from_agent: boolean; text: string }>).find((message) => message.from_agent) ?? null;
      }, { timeoutMs: 30_000, what: "the answer after the restart" });
      expect(answered.text).toMatch(/You said: survive this$/);
    } finally {
      await gateway?.kill("SIGTERM");
    }
  });

  it("steers a follow-up into the agent running in a container", async () => {
    const fake = new FakeOpenAI((request) => {
      const users = request.body.messages.filter((message) => message.role === "user").map((message) => message.content ?? "");
      if (users.some((text) => text.includes("also check pricing"))) return { content: "Pricing checked too." };
      return { content: "Crawled the site.", delayMs: 1500 };
    });
    const baseUrl = await fake.start();
    try {
      instance = await startInstance({ config: config({ agent: { harness: "openai" }, model: { baseUrl, models: ["local-small"] } }) });
      const visitor = instance.client();
      await visitor.say("c1", "please crawl the site");
      stream = await visitor.events("c1");
      await waitFor(() => fake.requests.length === 1, { timeoutMs: 30_000, what: "the first model call" });
      await visitor.say("c1", "also check pricing");

      const replies = () => stream!.messages<{ from_agent: boolean; text: string }>().filter((message) => message.from_agent).map((message) => message.text);
      await stream.until(() => replies().length >= 2, 30_000, "both answers");
      expect(replies()).toEqual(["Crawled the site.", "Pricing checked too."]);
      const runs = () => instance!.kernel.store.db.prepare("SELECT state FROM runs").all() as Array<{ state: string }>;
      await waitFor(() => runs().every((run) => run.state === "done"), { what: "the run to settle" });
      expect(runs()).toEqual([{ state: "done" }]);
    } finally {
      await fake.stop();
    }
  });

  it("handles killed containers and /stop", async () => {
    instance = await startInstance({ config: config({ agent: { harness: "demo", options: { delayMs: 20_000 } } }) });
    const visitor = instance.client();
    await visitor.say("c1", "work long");
    stream = await visitor.events("c1");
    const running = async (except?: string) => {
      const found = await docker.listContainers({ filters: { label: ["arizuko.group=main"], status: ["running"] } });
      return found.find((info) => info.Id !== except) ?? null;
    };
    const runsOf = () => instance!.kernel.store.db.prepare("SELECT state, error FROM runs ORDER BY started_at").all() as Array<{ state: string; error: string }>;
    const notices = () => stream!.messages<{ kind: string; text: string }>().filter((message) => message.kind === "notice");

    // Killed from outside, as the kernel's OOM killer would (exit 137): the batch gets its one retry, killed too.
    const first = await waitFor(() => running(), { what: "the first container" });
    await docker.getContainer(first.Id).kill();
    const retry = await waitFor(() => running(first.Id), { what: "the retry's container" });
    await docker.getContainer(retry.Id).kill();
    await stream.until(() => notices().length >= 1, 30_000, "the failure notice");
    await waitFor(() => runsOf().length === 2 && runsOf().every((run) => run.state !== "running"), { what: "both runs to settle" });
    expect(runsOf()).toEqual([
      { state: "failed", error: expect.stringMatching(/code 137, signal SIGKILL/) },
      { state: "failed", error: expect.stringMatching(/code 137, signal SIGKILL/) },
    ]);
    expect(notices()).toHaveLength(1);

    // /stop ends a running container's run at once.
    await visitor.say("c1", "work long again");
    const third = await waitFor(() => running(retry.Id), { what: "the third container" });
    await visitor.say("c1", "/stop");
    await waitFor(() => runsOf().length === 3 && runsOf()[2]!.state === "stopped", { what: "the run to stop" });
    expect(notices()).toHaveLength(2); // the /stop reply; no failure notice
    // A stopped run's container is not kept warm: it exits and is removed.
    await waitFor(async () => (await containersOf(`arizuko.run=${third.Labels["arizuko.run"]}`)).length === 0, { what: "the stopped container to go" });
  }, 90_000);

  it("runs arizuko itself from the gateway image", async () => {
    if (!provisioning.ok) throw new Error(provisioning.reason);
    // A new named volume for the data: the image makes the folder it mounts on writable for uid 1000.
    const volume = `arizuko-test-${Date.now()}`;
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const container = await docker.createContainer({
      Image: provisioning.gateway,
      Cmd: ["start", "--port", String(port)],
      HostConfig: { NetworkMode: "host", Binds: [`${volume}:/srv/arizuko/data`] },
    });
    await container.start();
    try {
      const health = await waitFor(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null);
        return response?.status === 200 ? response : null;
      }, { timeoutMs: 30_000, what: "the gateway container to be ready" });
      expect(health.status).toBe(200);
      // Every plugin's files are in the image (the dashboard serves its vendor/ folder).
      const report = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { status: string; plugins: Record<string, { state: string }> };
      expect(report.plugins.dashboard?.state).toBe("ok");
      expect(report.status).toBe("ok");
      // The image's `arizuko` command reaches the running instance through its admin socket.
      const exec = spawnSync("docker", ["exec", container.id, "arizuko", "group", "list"], { encoding: "utf8", env: { ...process.env, DOCKER_HOST: `unix://${provisioning.socket}` } });
      expect(exec.stderr).toBe("");
      expect(exec.stdout).toMatch(/^main\s+Main\s+ok$/m);
      const client = new Client(`http://127.0.0.1:${port}`);
      await client.get("/");
      expect((await client.say("g1", "hello from the host")).status).toBe(202);
      const answered = await waitFor(async () => {
        const page = await client.request("GET", "/web/chats/g1/messages");
        return (page.body.messages as Array<{ from_agent: boolean; text: string }>).find((message) => message.from_agent) ?? null;
      }, { what: "the demo answer" });
      expect(answered.text).toMatch(/^\[demo\] .* You said: hello from the host$/);
    } finally {
      await container.remove({ force: true });
      await docker.getVolume(volume).remove().catch(() => undefined);
    }
  });

  it("removes containers an earlier host left behind", async () => {
    const dir = tempDir();
    instance = await startInstance({ dir, config: config() });
    const epoch = instance.kernel.store.meta.get("epoch")!;
    await instance.stop();
    if (!provisioning.ok) return;
    await docker.createContainer({ Image: provisioning.image, Labels: { "arizuko.instance": epoch, "arizuko.run": "run_orphan" }, HostConfig: { NetworkMode: "none" } });
    await docker.createContainer({ Image: provisioning.image, Labels: { "arizuko.instance": "another-instance", "arizuko.run": "run_foreign" }, HostConfig: { NetworkMode: "none" } });
    expect(await containersOf("arizuko.run=run_orphan")).toHaveLength(1);

    instance = await startInstance({ dir, config: config() });
    expect(await containersOf("arizuko.run=run_orphan")).toHaveLength(0);
    // Another instance's containers are not this host's to remove.
    const foreign = await containersOf("arizuko.run=run_foreign");
    expect(foreign).toHaveLength(1);
    await docker.getContainer(foreign[0]!.Id).remove({ force: true });
  });

  it("names the setting when the engine cannot be reached", async () => {
    await expect(startInstance({ config: { runner: { kind: "docker", docker: { image: "arizuko-agent:test", host: "/tmp/arizuko-no-engine.sock" } } } })).rejects.toThrow(
      /cannot reach the Docker engine at \/tmp\/arizuko-no-engine.sock \(.*ENOENT.*\); check runner.docker.host \(a socket path or unix:\/\/path\)/,
    );
  });

  it("stops start-up with the build command when the image is missing", async () => {
    if (!provisioning.ok) throw new Error(provisioning.reason);
    // DOCKER_HOST's unix:// form works in runner.docker.host too.
    await expect(startInstance({ config: { runner: { kind: "docker", docker: { image: "arizuko-agent:missing", host: `unix://${provisioning.socket}` } } } })).rejects.toThrow(
      /agent image arizuko-agent:missing is not available on the Docker engine .*; build it with node scripts\/stage-image.mjs agent DIR && docker build -t arizuko-agent:missing DIR/,
    );
  });
});

describe("arizuko doctor with the docker runner", () => {
  function doctor(runner: Record<string, unknown>): { status: number | null; lines: string[] } {
    const dir = tempDir();
    writeFileSync(join(dir, "arizuko.yaml"), stringify({ runner: { kind: "docker", ...runner } }));
    const result = spawnSync(process.execPath, [ARIZUKO_BIN, "doctor"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    return { status: result.status, lines: result.stdout.trim().split("\n") };
  }
  const runnerLine = (lines: string[]) => lines.find((line) => line.slice(5).startsWith("agent runner:"));

  it("starts the agent image once on the engine", () => {
    const { status, lines } = doctor({ docker: dockerConfig() });
    expect(runnerLine(lines)).toBe("ok   agent runner: docker runner answers; harnesses: demo, openai, claude");
    expect(status).toBe(0);
  });

  it("names the engine and the image when they are missing, with the fix", () => {
    if (!provisioning.ok) throw new Error(provisioning.reason);
    const noEngine = doctor({ docker: { image: provisioning.image, host: "/tmp/arizuko-no-engine.sock" } });
    expect(runnerLine(noEngine.lines)).toMatch(/^fail agent runner: the docker runner did not start \(cannot reach the Docker engine at \/tmp\/arizuko-no-engine.sock .*\); see docs\/agents.md for the engine and the agent image$/);
    expect(noEngine.status).toBe(1);

    const noImage = doctor({ docker: { image: "arizuko-agent:missing", host: provisioning.socket } });
    expect(runnerLine(noImage.lines)).toMatch(/^fail agent runner: the docker runner did not start \(agent image arizuko-agent:missing is not available .*docker build -t arizuko-agent:missing DIR\); see docs\/agents.md/);
    expect(noImage.status).toBe(1);
  });
});
