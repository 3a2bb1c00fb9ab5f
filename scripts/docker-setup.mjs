/**
 * The Docker engine and images of the docker tests. The engine is an isolated dockerd
 * (scripts/provision-docker.sh). Nothing can be pulled, so the base image is made from
 * this machine's own `node` and the libraries it links. On it go the agent image
 * (agent/Dockerfile) and the gateway image (Dockerfile), built as an operator builds
 * them on a public Node image.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** @typedef {{ ok: true, socket: string, image: string, gateway: string, dir: string } | { ok: false, reason: string }} DockerProvisioning */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCRIPT = join(ROOT, "scripts", "provision-docker.sh");
export const BASE_IMAGE = "arizuko-test-base:latest";
export const AGENT_IMAGE = "arizuko-agent:test";
export const GATEWAY_IMAGE = "arizuko:test";

/** @param {string} command @param {string[]} args @param {{ env?: NodeJS.ProcessEnv, input?: Buffer }} [options] @returns {string} */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...options.env }, input: options.input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.status}: ${(result.stderr || result.stdout).trim().split("\n").slice(-15).join("\n")}`);
  return result.stdout;
}

/** Lists the shared libraries `ldd` reports for `binary`, with the loader. */
/** @param {string} binary @returns {string[]} */
function libraries(binary) {
  return run("ldd", [binary])
    .split("\n")
    .map((line) => /(\/\S+) \(0x/.exec(line)?.[1])
    .filter((path) => path !== undefined);
}

/**
 * Binaries the images run: node, and the Claude Code executable of the claude harness.
 * A public Node image carries all of glibc; the base carries what these link.
 */
function linkedBinaries() {
  const claude = join(ROOT, "node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude");
  return [process.execPath, ...(existsSync(claude) ? [claude] : [])];
}

/** Imports a minimal root file system with this machine's node as /usr/local/bin/node and a uid 1000 user. */
/** @param {NodeJS.ProcessEnv} docker */
function buildBase(docker) {
  const root = mkdtempSync(join(tmpdir(), "arizuko-base-"));
  try {
    mkdirSync(join(root, "usr/local/bin"), { recursive: true });
    copyFileSync(process.execPath, join(root, "usr/local/bin/node"));
    chmodSync(join(root, "usr/local/bin/node"), 0o755);
    for (const library of new Set(linkedBinaries().flatMap(libraries))) {
      mkdirSync(join(root, dirname(library)), { recursive: true });
      copyFileSync(library, join(root, library));
    }
    mkdirSync(join(root, "tmp"), { mode: 0o1777 });
    chmodSync(join(root, "tmp"), 0o1777);
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/tmp:/bin/sh\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\nagent:x:1000:\n");
    const tar = execFileSync("tar", ["-C", root, "-c", "."], { maxBuffer: 512 * 1024 * 1024 });
    run("docker", ["import", "--change", "ENV PATH=/usr/local/bin:/bin", "-", BASE_IMAGE], { env: docker, input: tar });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

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
    buildBase(docker);
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
