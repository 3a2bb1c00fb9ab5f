/**
 * Vitest global setup that provisions, once per test run, Chromium for the browser
 * tests and a Docker engine with the agent image for the docker runner tests.
 *
 * It runs scripts/provision-browser.sh, which returns at once when /usr/bin/chromium
 * exists, and scripts/docker-setup.ts, and passes the outcomes to the test files as
 * `browser` and `docker`. A failed provisioning does not stop the run: the other
 * tests still run, and the tests that need it fail with the reason this setup
 * provides. The Docker engine is stopped when the run ends.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { provisionDocker, stopDocker, type DockerProvisioning } from "./docker-setup.mjs";

/** Outcome of provisioning Chromium, read in test files with `inject("browser")`. */
export type BrowserProvisioning = { ok: true; executablePath: string } | { ok: false; reason: string };

declare module "vitest" {
  export interface ProvidedContext {
    browser: BrowserProvisioning;
    docker: DockerProvisioning;
  }
}

const SCRIPT = fileURLToPath(new URL("./provision-browser.sh", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
/** Lines of the script's stderr kept for the failure reason. */
const REASON_LINES = 20;

/** Runs the provisioning script, copying its stderr to ours so progress shows live. */
function provision(): Promise<BrowserProvisioning> {
  return new Promise((resolve) => {
    const child = spawn("bash", [SCRIPT], { stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on("error", (error) => resolve({ ok: false, reason: `could not run ${SCRIPT}: ${error.message}` }));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve({ ok: true, executablePath: CHROMIUM });
      const status = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      const tail = stderr.trim().split("\n").slice(-REASON_LINES).join("\n");
      resolve({ ok: false, reason: `${SCRIPT} ${status}${tail ? `:\n${tail}` : " and printed nothing"}` });
    });
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  project.provide("browser", await provision());
  const docker = provisionDocker();
  if (!docker.ok) process.stderr.write(`docker runner tests will fail: ${docker.reason}\n`);
  project.provide("docker", docker);
  return () => stopDocker(docker);
}
