/**
 * `arizuko init` through the real command in a temporary folder: the file it writes
 * passes `config check` and starts, the operator it adds signs in, and it rejects an
 * existing file and unknown plugins. The questions on a terminal are answered through
 * in-memory streams.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { init } from "../src/cli/init.js";
import { tempDir } from "./helpers/instance.js";
import { runArizuko, startArizuko, type RunningArizuko } from "./helpers/process.js";

const running: RunningArizuko[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const instance of running.splice(0)) await instance.kill("SIGKILL");
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function workspace(): string {
  const dir = tempDir("arizuko-init-");
  folders.push(dir);
  return dir;
}

/** Copies the environment without the variables the channel plugins read, so each test sets only the ones it needs. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["TELEGRAM_TOKEN", "DISCORD_TOKEN", "WHATSAPP_AUTH_KEY", "WHATSAPP_PHONE", "HTTP_CHANNEL_SECRET"]) {
    delete env[name];
    delete env[`${name}_FILE`];
  }
  return { ...env, ...extra };
}

function pluginNames(file: string): string[] {
  const config = parse(readFileSync(file, "utf8")) as { plugins: Array<string | { use: string }> };
  return config.plugins.map((entry) => (typeof entry === "string" ? entry : entry.use));
}

const passwordOf = (output: string) => /password \(shown once\): (\S+)/.exec(output)?.[1];

describe("arizuko init", () => {
  it("writes a config that checks, starts and signs in", async () => {
    const cwd = workspace();
    const env = cleanEnv();
    const result = runArizuko(["init", "--plugins", "web,route-table,route-command,scheduler,telegram", "--operator", "ada", "--port", "9000"], cwd, env);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const password = passwordOf(result.stdout);
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(result.stdout).toContain("next: npx arizuko start, then open http://127.0.0.1:9000/ and sign in as ada");

    const file = join(cwd, "arizuko.yaml");
    const check = runArizuko(["config", "check"], cwd, env);
    expect(check.stdout).toContain(`${file} is valid; plugins: web, route-table, route-command, scheduler`);
    expect(check.status).toBe(0);
    // Without TELEGRAM_TOKEN the telegram entry is written commented out, saying what to set.
    expect(pluginNames(file)).toEqual(["web", "route-table", "route-command", "scheduler"]);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("  # - use: telegram");
    expect(text).toContain("  #       - token: ${TELEGRAM_TOKEN}");
    expect(text).toContain("set TELEGRAM_TOKEN in the environment");
    expect(result.stdout).toContain("telegram is commented out in the config until TELEGRAM_TOKEN is set");

    expect(text).toMatch(/^# arizuko config, written by `arizuko init`/);
    expect(text).toContain("docs/config.md");
    expect(text).toContain("      # catchUp: once");
    expect(text).toContain("# apiKey: ${MODEL_API_KEY}");
    expect(text).toContain("#   telegram: { policy: pairing }");
    expect(parse(text).http).toEqual({ port: 9000 });
    expect(existsSync(join(cwd, "data", "arizuko.db"))).toBe(true);
    expect(existsSync(join(cwd, "data", "groups", "main", "PERSONA.md"))).toBe(true);

    const instance = await startArizuko(["--port", "0"], { cwd, env });
    running.push(instance);
    const signIn = await fetch(`${instance.url}/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "ada", password }) });
    expect(signIn.status).toBe(200);
    const me = await fetch(`${instance.url}/auth/me`, { headers: { authorization: `Bearer ${((await signIn.json()) as { access_token: string }).access_token}` } });
    expect(((await me.json()) as { user: { username: string; role: string } }).user).toMatchObject({ username: "ada", role: "operator" });
  });

  it("loads a plugin whose variables are set", () => {
    const cwd = workspace();
    const env = cleanEnv({ TELEGRAM_TOKEN: "123456:test-token" });
    const result = runArizuko(["init", "--plugins", "web,telegram", "--yes"], cwd, env);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("start needs these environment variables set: TELEGRAM_TOKEN");

    const file = join(cwd, "arizuko.yaml");
    expect(pluginNames(file)).toEqual(["web", "telegram"]);
    expect(readFileSync(file, "utf8")).toContain("        - token: ${TELEGRAM_TOKEN}\n");
    expect(readFileSync(file, "utf8")).not.toContain("123456:test-token");
    expect(runArizuko(["config", "check"], cwd, env).status).toBe(0);
    const unset = runArizuko(["config", "check"], cwd, cleanEnv());
    expect(unset.stderr).toContain("the environment variable TELEGRAM_TOKEN is not set");
    expect(unset.status).toBe(1);
  });

  it("rejects an existing config unless --force", () => {
    const cwd = workspace();
    const file = join(cwd, "arizuko.yaml");
    writeFileSync(file, "log: { level: warn }\n");
    const rejected = runArizuko(["init", "--operator", "ada"], cwd);
    expect(rejected.status).toBe(1);
    expect(rejected.stderr).toContain(`error ARZ_ERR_INIT_EXISTS: ${file} already exists`);
    expect(rejected.stderr).toContain("--force");
    expect(readFileSync(file, "utf8")).toBe("log: { level: warn }\n");
    expect(existsSync(join(cwd, "data"))).toBe(false);

    const first = runArizuko(["init", "--operator", "ada", "--force"], cwd);
    expect(first.status).toBe(0);
    const password = passwordOf(first.stdout);
    expect(password).toBeDefined();
    expect(pluginNames(file)).toEqual(["web", "route-table", "route-sticky", "route-command", "route-reply", "route-prefix", "dashboard", "scheduler"]);

    // A second run keeps the account and its password.
    const again = runArizuko(["init", "--operator", "ada", "--force"], cwd);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("user ada already exists as an operator; kept with its password");
    expect(passwordOf(again.stdout)).toBeUndefined();
    expect(runArizuko(["user", "list"], cwd).stdout.match(/^ada\s+operator/m)).not.toBeNull();
  });

  it("rejects another config file start would read", () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "arizuko.json"), "{}\n");
    const rejected = runArizuko(["init"], cwd);
    expect(rejected.stderr).toContain(`${join(cwd, "arizuko.json")} already exists`);
    expect(rejected.status).toBe(1);
    expect(existsSync(join(cwd, "arizuko.yaml"))).toBe(false);
  });

  it("rejects an unknown plugin, listing the shipped ones", () => {
    const cwd = workspace();
    const rejected = runArizuko(["init", "--plugins", "web,telegarm"], cwd);
    expect(rejected.status).toBe(1);
    expect(rejected.stderr).toContain('error ARZ_ERR_INIT_PLUGIN: unknown plugin "telegarm"; arizuko init writes the plugins arizuko ships: web, route-table,');
    expect(rejected.stderr).toContain("telegram, discord, whatsapp, http-channel, media-whisper");
    expect(existsSync(join(cwd, "arizuko.yaml"))).toBe(false);
    expect(existsSync(join(cwd, "data"))).toBe(false);
  });

  it("rejects a config file not named .yaml", () => {
    const cwd = workspace();
    const rejected = runArizuko(["init", "--config", "arizuko.json"], cwd);
    expect(rejected.stderr).toContain("--config must name a .yaml or .yml file");
    expect(rejected.status).toBe(1);
    expect(existsSync(join(cwd, "arizuko.json"))).toBe(false);
  });

  it("writes the data folder given with --data", () => {
    const cwd = workspace();
    const result = runArizuko(["init", "--config", "conf/arizuko.yaml", "--data", "state"], cwd);
    expect(result.status).toBe(0);
    expect(parse(readFileSync(join(cwd, "conf", "arizuko.yaml"), "utf8")).data).toBe("../state");
    expect(existsSync(join(cwd, "state", "arizuko.db"))).toBe(true);
    expect(result.stdout).toContain("next: npx arizuko start --config conf/arizuko.yaml,");
  });

  it("asks on a terminal and writes what the flags would", async () => {
    const prompted = workspace();
    const input = new PassThrough();
    const output = new PassThrough();
    let printed = "";
    output.setEncoding("utf8").on("data", (chunk: string) => (printed += chunk));
    // Dashboard off and media-whisper (13th) on, a word not on the list, Enter; a bad username, then ada; port 9000.
    input.end(["dashboard 13", "nope", "", "bad name!", "ada", "9000", ""].join("\n"));
    const code = await init([], {}, { input, output, interactive: true, cwd: prompted, env: cleanEnv() });
    expect(code).toBe(0);
    expect(printed).toContain("  7 [x] dashboard");
    expect(printed).toContain('"nope" is not on the list; type numbers from 1 to 13 or plugin names');
    expect(printed).toContain(' 13 [x] media-whisper');
    expect(printed).toContain('invalid username "bad name!"');
    expect(passwordOf(printed)).toBeDefined();

    const flagged = workspace();
    const plugins = "web,route-table,route-sticky,route-command,route-reply,route-prefix,scheduler,media-whisper";
    expect(runArizuko(["init", "--plugins", plugins, "--operator", "ada", "--port", "9000"], flagged, cleanEnv()).status).toBe(0);
    expect(readFileSync(join(prompted, "arizuko.yaml"), "utf8")).toBe(readFileSync(join(flagged, "arizuko.yaml"), "utf8"));
  });

  it("stops when the input ends before the answers", async () => {
    const cwd = workspace();
    const input = new PassThrough();
    input.end("\n");
    await expect(init([], {}, { input, output: new PassThrough(), interactive: true, cwd, env: cleanEnv() })).rejects.toThrow("pass --yes to take the defaults");
    expect(existsSync(join(cwd, "arizuko.yaml"))).toBe(false);
  });
});
