import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { queryData } from "./helpers/query.js";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Client } from "./helpers/client.js";
import { fixture, fixtureAgent, tempDir } from "./helpers/instance.js";
import { runArizuko, startArizuko, type RunningArizuko } from "./helpers/process.js";
import { waitFor } from "./helpers/wait.js";

interface WebMessage {
  seq: number;
  text: string;
  from_agent: boolean;
  kind: string;
}

const running: RunningArizuko[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const instance of running.splice(0)) await instance.kill("SIGKILL");
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function workspace(config?: Record<string, unknown>): string {
  const dir = tempDir("arizuko-cli-");
  folders.push(dir);
  if (config) writeFileSync(join(dir, "arizuko.yaml"), stringify(config));
  return dir;
}

async function start(cwd: string, args: string[] = ["--port", "0"], env?: NodeJS.ProcessEnv): Promise<RunningArizuko> {
  const instance = await startArizuko(args, { cwd, ...(env && { env }) });
  running.push(instance);
  return instance;
}

const query = <T>(cwd: string, sql: string, ...params: unknown[]) => queryData<T>(join(cwd, "data"), sql, ...params);

describe("arizuko start", () => {
  it("serves the chat on the embedded defaults", async () => {
    const cwd = workspace();
    const instance = await start(cwd);
    const visitor = new Client(instance.url);

    const page = await visitor.get("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const posted = await visitor.say("c1", "hello");
    expect(posted.status).toBe(202);

    const stream = await visitor.events("c1");
    await stream.until((s) => s.messages<WebMessage>().some((m) => m.from_agent), 15_000, "the demo reply");
    stream.close();
    expect(stream.messages<WebMessage>()[1]!.text).toBe("[demo] I am the main assistant of this arizuko instance. You said: hello");

    const health = await visitor.get("/health");
    expect(health.body).toEqual({
      status: "ok",
      plugins: Object.fromEntries(["web", "route-table", "route-sticky", "route-command", "route-reply", "route-prefix", "dashboard", "scheduler"].map((name) => [name, { state: "ok" }])),
      channels: { web: { state: "ok", detail: null, lastInboundAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) } },
    });
    expect((await visitor.get("/ready")).status).toBe(200);
    expect(existsSync(join(cwd, "data", "groups", "main", "PERSONA.md"))).toBe(true);
  });

  it("answers an interrupted message once after kill -9", async () => {
    const cwd = workspace({ agent: { options: { delayMs: 1500 } } });
    const first = await start(cwd);
    const visitor = new Client(first.url);
    await visitor.say("c1", "are you there?");
    const stream = await visitor.events("c1");
    await stream.until((s) => s.events.some((e) => e.event === "typing"), 15_000, "the run to start");
    stream.close();

    await first.kill("SIGKILL");
    const second = await start(cwd);
    const again = new Client(second.url);
    for (const [name, value] of visitor.cookieHeader.split("; ").map((pair) => pair.split("="))) again.setCookie(name!, value!);

    await waitFor(async () => {
      const history = await again.get("/web/chats/c1/messages");
      return (history.body.messages as WebMessage[]).some((m) => m.from_agent);
    }, { timeoutMs: 20_000, what: "the answer after the restart" });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const history = (await again.get("/web/chats/c1/messages")).body.messages as WebMessage[];
    expect(history.map((m) => m.text)).toEqual([
      "are you there?",
      "[demo] I am the main assistant of this arizuko instance. You said: are you there?",
    ]);
    const runs = query<{ state: string }>(cwd, "SELECT state FROM runs ORDER BY started_at");
    expect(runs).toEqual([{ state: "abandoned" }, { state: "done" }]);
  });

  it("keeps a reply stored before kill -9 without a second run", async () => {
    const cwd = workspace({ runner: { command: fixtureAgent("scripted.mjs") } });
    const first = await start(cwd);
    const visitor = new Client(first.url);
    await visitor.say("c1", "reply-hang");
    const stream = await visitor.events("c1");
    await stream.until((s) => s.messages<WebMessage>().some((m) => m.from_agent), 15_000, "the partial reply");
    stream.close();

    await first.kill("SIGKILL");
    await start(cwd);
    await waitFor(() => query<{ state: string }>(cwd, "SELECT state FROM runs").every((run) => run.state !== "running"), { what: "recovery" });

    expect(query(cwd, "SELECT text, state FROM messages WHERE direction = 'in'")).toEqual([{ text: "reply-hang", state: "done" }]);
    expect(query(cwd, "SELECT text FROM messages WHERE direction = 'out'")).toEqual([{ text: "partial reply to reply-hang" }]);
    expect(query(cwd, "SELECT count(*) AS n FROM runs")).toEqual([{ n: 1 }]);
  });

  it("stops cleanly on SIGTERM", async () => {
    const cwd = workspace();
    const instance = await start(cwd);
    expect(existsSync(join(cwd, "data", "arizuko.lock"))).toBe(true);

    expect(await instance.kill("SIGTERM")).toBe(0);
    expect(existsSync(join(cwd, "data", "arizuko.lock"))).toBe(false);
    expect(existsSync(join(cwd, "data", "admin.sock"))).toBe(false);
  });

  it("refuses a second instance on one data folder", async () => {
    const cwd = workspace();
    const first = await start(cwd);
    const second = runArizuko(["start", "--port", "0"], cwd);

    expect(second.status).toBe(1);
    expect(second.stderr).toContain("ARZ_ERR_INSTANCE_RUNNING");
    expect(second.stderr).toContain(`(pid ${first.child.pid})`);
  });

  it("counts a foreign pid's lock while the admin socket answers", async () => {
    // Containers sharing a data folder each see the other's pid as no process (or as their own).
    const cwd = workspace();
    const first = await start(cwd);
    const lock = join(cwd, "data", "arizuko.lock");
    const foreignPid = spawnSync("true").pid!;
    writeFileSync(lock, `${foreignPid}\n`);

    const second = runArizuko(["start", "--port", "0"], cwd);
    expect(second.status).toBe(1);
    expect(second.stderr).toContain("ARZ_ERR_INSTANCE_RUNNING");
    expect(readFileSync(lock, "utf8")).toBe(`${foreignPid}\n`);

    const command = runArizuko(["group", "list"], cwd);
    expect(command.status).toBe(0);
    await waitFor(() => first.output().includes('"msg":"admin command"'), { what: "the command to reach the running instance" });
  });

  it("takes over a lock whose admin socket is gone", async () => {
    const cwd = workspace();
    await (await start(cwd)).kill("SIGKILL");
    expect(existsSync(join(cwd, "data", "arizuko.lock"))).toBe(true);
    expect(existsSync(join(cwd, "data", "admin.sock"))).toBe(true);

    const second = await start(cwd);
    expect((await fetch(`${second.url}/ready`)).status).toBe(200);
  });

  it("refuses a public address without --insecure", () => {
    const result = runArizuko(["start", "--host", "0.0.0.0", "--port", "0"], workspace());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("refusing to listen on 0.0.0.0 without authentication; add an account first");
  });

  it("listens on a public address once an account exists", async () => {
    const cwd = workspace();
    expect(runArizuko(["user", "add", "olga", "--operator"], cwd)).toMatchObject({ status: 0 });
    const started = await start(cwd, ["--host", "0.0.0.0", "--port", "0"]);
    expect((await fetch(`${started.url}/ready`)).status).toBe(200);
  });

  it("names the bad field of an invalid config", () => {
    const result = runArizuko(["start"], workspace({ http: { port: "eighty" } }));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('http.port: expected integer, got "eighty"');
  });
});

describe("arizuko commands", () => {
  it("runs offline when no instance runs", () => {
    const cwd = workspace();
    expect(runArizuko(["group", "add", "support", "--name", "Support"], cwd)).toMatchObject({ status: 0 });
    expect(runArizuko(["route", "add", "platform=web chat=web:local/s*", "support", "--seq", "50"], cwd)).toMatchObject({ status: 0 });

    const groups = runArizuko(["group", "list"], cwd);
    expect(groups.stdout).toContain("support  Support");
    const routes = runArizuko(["route", "list"], cwd);
    expect(routes.stdout.split("\n").slice(1, 3)).toEqual([
      "2   50   platform=web chat=web:local/s*  support  run",
      "1   100  platform=web                    main     run",
    ]);
    expect(readFileSync(join(cwd, "data", "groups", "support", "PERSONA.md"), "utf8")).toMatch(/^I am the support assistant of this arizuko instance\.\n/);
    expect(runArizuko(["group", "resume", "support"], cwd).stdout).toBe("group support was not paused; nothing to do\n");
  });

  it("renames and removes groups, keeping the folder", () => {
    const cwd = workspace();
    runArizuko(["group", "add", "acme"], cwd);
    runArizuko(["group", "add", "acme/support"], cwd);

    expect(runArizuko(["group", "rename", "acme", "Acme Ltd"], cwd).stdout).toBe('group acme is now named "Acme Ltd"\n');
    expect(runArizuko(["group", "rename", "acme", "  "], cwd)).toMatchObject({ status: 1, stderr: expect.stringContaining("invalid group name: it must be 1 to 200 characters after trimming spaces, got 0") });
    const busy = runArizuko(["group", "rm", "acme"], cwd);
    expect(busy).toMatchObject({ status: 1, stderr: expect.stringContaining("group acme cannot be removed: remove its child groups first (acme/support)") });

    const removed = runArizuko(["group", "rm", "acme/support"], cwd);
    expect(removed.stdout).toBe(`group acme/support removed; its folder ${join(cwd, "data", "groups", "acme", "support")} is kept (delete it by hand, or add the group again to reuse it)\n`);
    expect(existsSync(join(cwd, "data", "groups", "acme", "support", "PERSONA.md"))).toBe(true);
    expect(runArizuko(["group", "rm", "acme/support"], cwd).stderr).toContain("group acme/support does not exist");
    expect(runArizuko(["group", "list"], cwd).stdout).toMatch(/acme\s+Acme Ltd/);
    expect(runArizuko(["group", "list"], cwd).stdout).not.toContain("acme/support");
  });

  it("changes the running instance through the admin socket", async () => {
    const cwd = workspace({ runner: { command: fixtureAgent("scripted.mjs") } });
    const instance = await start(cwd);
    expect(statSync(join(cwd, "data", "admin.sock")).mode & 0o777).toBe(0o600);

    expect(runArizuko(["group", "add", "support"], cwd).status).toBe(0);
    expect(runArizuko(["route", "add", "chat=web:local/s*", "support", "--seq", "10"], cwd).status).toBe(0);
    const visitor = new Client(instance.url);
    await visitor.say("s1", "who answers?");
    await waitFor(() => query<{ state: string }>(cwd, "SELECT state FROM messages WHERE direction = 'in'")[0]?.state === "done");

    expect(query(cwd, "SELECT group_folder, route_reason FROM messages WHERE direction = 'in'")).toEqual([
      { group_folder: "support", route_reason: "route #2 (chat=web:local/s*) → support" },
    ]);
    expect(instance.output()).toContain('"msg":"admin command"');

    // Changes made through the socket are in the audit log the dashboard shows; reads are not.
    expect(runArizuko(["group", "list"], cwd).status).toBe(0);
    expect(runArizuko(["group", "add", "Bad"], cwd).status).toBe(1);
    expect(query(cwd, "SELECT actor, action, target, detail FROM audit ORDER BY id")).toEqual([
      { actor: "cli", action: "group add", target: "support", detail: null },
      { actor: "cli", action: "route add", target: "chat=web:local/s*", detail: "support --seq 10" },
    ]);
  });

  it("reaches a running instance without the config's secrets", async () => {
    const cwd = workspace({ model: { apiKey: "${ARIZUKO_TEST_MODEL_KEY}" } });
    await start(cwd, ["--port", "0"], { ...process.env, ARIZUKO_TEST_MODEL_KEY: "sk-test-0123456789" });

    const routes = runArizuko(["route", "list"], cwd);
    expect(routes.stderr).toBe("");
    expect(routes.status).toBe(0);
  });

  it("explains a bad route term", () => {
    const result = runArizuko(["route", "add", "plattform=web", "main"], workspace());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown key "plattform"; keys are platform, account, chat, sender, verb, topic');
  });

  it("lists plugin commands in help", () => {
    const result = runArizuko(["--help"], workspace());
    expect(result.status).toBe(0);
    for (const command of ["group", "route", "plugins", "migrate", "start"]) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
  });
});

describe("faulty plugins", () => {
  it("keep the other chats answering", async () => {
    const cwd = workspace({
      runner: { command: fixtureAgent("scripted.mjs") },
      plugins: [
        "web",
        "route-table",
        fixture("plugins/throws-on-import.mjs"),
        fixture("plugins/throws-in-register.mjs"),
        fixture("plugins/flow-tap-throws.mjs"),
        fixture("plugins/command-hello-first.mjs"),
        fixture("plugins/command-hello-second.mjs"),
        fixture("plugins/admit-gate.mjs"),
        fixture("plugins/rejects-unhandled.mjs"),
      ],
    });
    const instance = await start(cwd);
    const visitor = new Client(instance.url);

    await visitor.say("c1", "still there?");
    await visitor.say("c-gate", "let me in");
    await waitFor(() => query<{ state: string }>(cwd, "SELECT state FROM messages WHERE text = 'still there?'")[0]?.state === "done", { what: "c1's answer" });
    await waitFor(() => query<{ state: string }>(cwd, "SELECT state FROM messages WHERE text = 'let me in'")[0]?.state === "context", { what: "c-gate's decision" });

    expect(query(cwd, "SELECT text FROM messages WHERE direction = 'out'")).toEqual([{ text: "echo: still there? (context: 0)" }]);
    expect(query(cwd, "SELECT route_layer, run_id FROM messages WHERE text = 'let me in'")).toEqual([{ route_layer: "admission", run_id: null }]);

    const health = await visitor.get("/health");
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("degraded");
    const plugins = health.body.plugins as Record<string, { state: string; error?: string }>;
    expect(plugins[fixture("plugins/throws-on-import.mjs")]).toEqual({ state: "failed", error: "fixture: this module cannot be imported" });
    expect(plugins["throws-in-register"]).toEqual({ state: "failed", error: "fixture: register failed" });
    expect(plugins["flow-tap-throws"]).toEqual({ state: "degraded", error: "fixture: resolve tap failed" });
    expect(plugins["command-hello-second"]).toEqual({
      state: "failed",
      error: 'command "hello" is already registered by command-hello-first; command-hello-second cannot register it too',
    });
    expect(plugins["admit-gate"]).toEqual({ state: "degraded", error: "fixture: admission check failed for c-gate" });
    for (const name of ["web", "route-table", "command-hello-first"]) expect(plugins[name]).toEqual({ state: "ok" });

    expect(instance.child.exitCode).toBeNull();
    expect(instance.output()).toContain("unhandled promise rejection (a plugin bug?); arizuko keeps running");

    const halfRegistered = await visitor.get("/fixture/half-registered");
    expect(halfRegistered.status).toBe(503);
    expect(halfRegistered.body.error.message).toContain("plugin throws-in-register is not running");
  });
});
