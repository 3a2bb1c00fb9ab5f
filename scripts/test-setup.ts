/**
 * Vitest global setup that provisions, once per test run, Chromium for the browser
 * tests, a Docker engine with the agent image for the docker runner tests, and the
 * command-line tools the deployment file tests call (docker-compose, systemd-analyze).
 *
 * It runs scripts/provision-browser.sh, which returns at once when /usr/bin/chromium
 * exists, scripts/docker-setup.mjs, and scripts/provision-tools.sh, which returns at once
 * when the tools are on the PATH. It passes the outcomes to the test files as `browser`,
 * `docker` and `tools`. A failed provisioning does not stop the run: the other tests
 * still run, and the tests that need it fail with the reason this setup provides. The
 * Docker engine is stopped when the run ends.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { provisionDocker, stopDocker, type DockerProvisioning } from "./docker-setup.mjs";

/** Outcome of provisioning Chromium, read in test files with `inject("browser")`. */
export type BrowserProvisioning = { ok: true; executablePath: string } | { ok: false; reason: string };

/** Outcome of installing the deployment tools, read in test files with `inject("tools")`. */
export type ToolsProvisioning = { ok: true } | { ok: false; reason: string };

declare module "vitest" {
  export interface ProvidedContext {
    browser: BrowserProvisioning;
    docker: DockerProvisioning;
    tools: ToolsProvisioning;
  }
}

const SCRIPT = fileURLToPath(new URL("./provision-browser.sh", import.meta.url));
const TOOLS_SCRIPT = fileURLToPath(new URL("./provision-tools.sh", import.meta.url));
/** Commands the deployment file tests run, each with the Debian package that provides it. */
const TOOLS = ["docker-compose=docker-compose", "systemd-analyze=systemd"];
const CHROMIUM = "/usr/bin/chromium";
/** Lines of the script's stderr kept for the failure reason. */
const REASON_LINES = 20;

/**
 * Runs a provisioning script, copying its stderr to ours so progress shows live.
 * Resolves with null when it succeeds, else with the reason.
 */
function runScript(script: string, args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn("bash", [script, ...args], { stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on("error", (error) => resolve(`could not run ${script}: ${error.message}`));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve(null);
      const status = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      const tail = stderr.trim().split("\n").slice(-REASON_LINES).join("\n");
      resolve(`${script} ${status}${tail ? `:\n${tail}` : " and printed nothing"}`);
    });
  });
}

async function provisionBrowser(): Promise<BrowserProvisioning> {
  const reason = await runScript(SCRIPT, []);
  return reason === null ? { ok: true, executablePath: CHROMIUM } : { ok: false, reason };
}

async function provisionTools(): Promise<ToolsProvisioning> {
  const reason = await runScript(TOOLS_SCRIPT, TOOLS);
  return reason === null ? { ok: true } : { ok: false, reason };
}

export default async function setup(project: TestProject): Promise<() => void> {
  project.provide("browser", await provisionBrowser());
  project.provide("tools", await provisionTools());
  const docker = provisionDocker();
  if (!docker.ok) process.stderr.write(`docker runner tests will fail: ${docker.reason}\n`);
  project.provide("docker", docker);
  return () => stopDocker(docker);
}
