/**
 * The Docker engine and images of the docker tests. The engine is an isolated dockerd
 * (scripts/provision-docker.sh). Nothing can be pulled, so the base image is made from
 * this machine's own `node` and the libraries it links (scripts/base-image.mjs). On it
 * go the agent image (agent/Dockerfile) and the gateway image (Dockerfile), built as an
 * operator builds them on a public Node image.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBaseImage, run } from "./base-image.mjs";

/** @typedef {{ ok: true, socket: string, image: string, gateway: string, dir: string } | { ok: false, reason: string }} DockerProvisioning */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = join(ROOT, "scripts", "provision-docker.sh");
export const BASE_IMAGE = "arizuko-test-base:latest";
export const AGENT_IMAGE = "arizuko-agent:test";
export const GATEWAY_IMAGE = "arizuko:test";

/**
 * Builds an image from its staged context on the local base, as an operator builds it on
 * a public Node image.
 * @param {NodeJS.ProcessEnv} docker @param {"agent" | "gateway"} kind @param {string} tag
 */
function buildImage(docker, kind, tag) {
  const context = mkdtempSync(join(tmpdir(), `arizuko-${kind}-image-`));
  try {
    run(process.execPath, [join(ROOT, "scripts/stage-image.mjs"), kind, context]);
    // The legacy builder: it builds FROM a local image without a registry (BuildKit cannot here).
    run("docker", ["build", "-q", "--build-arg", `BASE_IMAGE=${BASE_IMAGE}`, "-t", tag, context], { env: { ...docker, DOCKER_BUILDKIT: "0" } });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** @returns {DockerProvisioning} */
export function provisionDocker(dir = join(tmpdir(), `arizuko-docker-${process.pid}`)) {
  try {
    const socket = run("bash", [SCRIPT, "start", dir]).trim();
    const docker = { DOCKER_HOST: `unix://${socket}` };
    buildBaseImage(BASE_IMAGE, docker);
    buildImage(docker, "agent", AGENT_IMAGE);
    buildImage(docker, "gateway", GATEWAY_IMAGE);
    return { ok: true, socket, image: AGENT_IMAGE, gateway: GATEWAY_IMAGE, dir };
  } catch (error) {
    return { ok: false, reason: error.message };
  }
}

/** @param {DockerProvisioning} provisioning */
export function stopDocker(provisioning) {
  if (!provisioning.ok) return;
  spawnSync("bash", [SCRIPT, "stop", provisioning.dir]);
  spawnSync("rm", ["-rf", provisioning.dir]);
}
