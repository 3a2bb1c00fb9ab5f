/**
 * The deployment files: the gateway image's health check against a real instance,
 * deploy/compose.yaml through `docker-compose config`, and deploy/arizuko.service
 * through `systemd-analyze verify`. scripts/test-setup.ts installs both tools. Each
 * stop timeout must outlast the sum of arizuko's shutdown limits.
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../src/config/load.js";
import { HOOK_CATALOG } from "../src/hooks/catalog.js";
import { RUNNER_EXIT_SLACK_MS, SHUTDOWN_INTAKE_WAIT_MS } from "../src/kernel.js";
import { CHANNEL_STOP_TIMEOUT_MS } from "../src/pipeline/channels.js";
import { startInstance, tempDir, type TestInstance } from "./helpers/instance.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const tools = inject("tools");

interface ComposeService {
  network_mode: string;
  command: string[];
  working_dir: string;
  volumes: string[];
  group_add: string[];
  environment: Record<string, string>;
  stop_signal: string;
  stop_grace_period: string;
  healthcheck: { test: string[] };
}

/** Returns the command of the Dockerfile's `HEALTHCHECK … CMD [...]` line. */
function imageHealthCheck(): string[] {
  const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const match = /^HEALTHCHECK .*?CMD (\[.*\])$/m.exec(dockerfile);
  if (!match) throw new Error("the Dockerfile has no HEALTHCHECK … CMD [...] line");
  return JSON.parse(match[1]!) as string[];
}

/**
 * Runs the image's health check command on this machine, with ARIZUKO_PORT set, and
 * resolves with its exit code. It is asynchronous, so an instance in this process can respond.
 */
function runHealthCheck(port: number): Promise<number | null> {
  const [command, ...args] = imageHealthCheck();
  const binary = command === "node" ? process.execPath : command!;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env: { ...process.env, ARIZUKO_PORT: String(port) }, stdio: "ignore", timeout: 10_000 });
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
}

/** Returns a port nothing listens on: one the kernel handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `docker-compose config` on a copy of deploy/compose.yaml with `env` added. */
function composeConfig(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const dir = tempDir("arizuko-compose-");
  copyFileSync(join(ROOT, "deploy", "compose.yaml"), join(dir, "compose.yaml"));
  writeFileSync(join(dir, "arizuko.env"), "");
  const cleared = Object.fromEntries(Object.entries(process.env).filter(([name]) => !["DOCKER_GID", "ARIZUKO_HOME", "ARIZUKO_PORT", "DOCKER_SOCKET"].includes(name)));
  const result = spawnSync("docker-compose", ["config"], { cwd: dir, encoding: "utf8", env: { ...cleared, ...env }, timeout: 20_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Seconds in a compose duration such as `90s` or `1m30s`. */
function seconds(duration: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(duration);
  if (!match || duration === "") throw new Error(`unexpected duration ${duration}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

/** Returns the maximum time a clean shutdown takes: every step at its limit, with the default runner grace. */
function shutdownLimitMs(): number {
  const { runner, shutdown } = loadConfig({ cwd: tempDir() }).config;
  const runs = shutdown.runDeadlineMs + runner.stopGraceMs + 2 * RUNNER_EXIT_SLACK_MS;
  return HOOK_CATALOG.onShutdown.timeoutMs + SHUTDOWN_INTAKE_WAIT_MS + runs + shutdown.outboxDeadlineMs + CHANNEL_STOP_TIMEOUT_MS;
}

describe("gateway health check", () => {
  let instance: TestInstance | undefined;

  afterEach(async () => {
    await instance?.dispose();
    instance = undefined;
  });

  it("passes against a ready instance", async () => {
    instance = await startInstance();
    expect(await runHealthCheck(Number(new URL(instance.url).port))).toBe(0);
  });

  it("fails when nothing listens", async () => {
    expect(await runHealthCheck(await closedPort())).toBe(1);
  });

  it("is repeated unchanged in compose.yaml", () => {
    const compose = parse(readFileSync(join(ROOT, "deploy", "compose.yaml"), "utf8")) as { services: { arizuko: ComposeService } };
    expect(compose.services.arizuko.healthcheck.test).toEqual(["CMD", ...imageHealthCheck()]);
  });
});

describe("compose file", () => {
  it("passes docker-compose config", () => {
    if (!tools.ok) throw new Error(tools.reason);
    const result = composeConfig({ DOCKER_GID: "4242", ARIZUKO_HOME: "/srv/test-home" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);

    const service = (parse(result.stdout) as { services: { arizuko: ComposeService } }).services.arizuko;
    expect(service.network_mode).toBe("host");
    expect(service.command).toEqual(["start"]);
    // Agent mounts resolve on the host only when the home folder has the same path on both sides.
    expect(service.volumes).toContain("/srv/test-home:/srv/test-home:rw");
    expect(service.working_dir).toBe("/srv/test-home");
    expect(service.volumes).toContain("/var/run/docker.sock:/var/run/docker.sock:rw");
    expect(service.group_add).toEqual(["4242"]);
    expect(service.environment.ARIZUKO_PORT).toBe("8080");
    expect(service.stop_signal).toBe("SIGTERM");
  });

  it("names DOCKER_GID when it is missing", () => {
    if (!tools.ok) throw new Error(tools.reason);
    const result = composeConfig({});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("set DOCKER_GID in .env to the group id of the Docker socket");
  });

  it("outlasts arizuko's shutdown limits", () => {
    const compose = parse(readFileSync(join(ROOT, "deploy", "compose.yaml"), "utf8")) as { services: { arizuko: ComposeService } };
    expect(seconds(compose.services.arizuko.stop_grace_period) * 1000).toBeGreaterThan(shutdownLimitMs());
  });
});

describe("systemd unit", () => {
  const unit = join(ROOT, "deploy", "arizuko.service");

  it("passes systemd-analyze verify", () => {
    if (!tools.ok) throw new Error(tools.reason);
    const result = spawnSync("systemd-analyze", ["verify", unit], { encoding: "utf8", timeout: 20_000 });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("outlasts arizuko's shutdown limits", () => {
    const text = readFileSync(unit, "utf8");
    const timeout = /^TimeoutStopSec=(\d+)$/m.exec(text);
    expect(timeout, "TimeoutStopSec=<seconds>").not.toBeNull();
    expect(Number(timeout![1]) * 1000).toBeGreaterThan(shutdownLimitMs());
    expect(text).toMatch(/^KillSignal=SIGTERM$/m);
  });
});
