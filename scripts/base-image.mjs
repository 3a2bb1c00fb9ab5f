#!/usr/bin/env node
// Builds a minimal base image for the agent and gateway images, for a machine that
// cannot pull node:20-bookworm-slim. It contains this machine's `node` as
// /usr/local/bin/node, the shared libraries it links (and those of the Claude Code
// executable, when installed), /usr/bin/env, /tmp, and a uid 1000 user. It has no shell
// and no package manager.
//
// Usage: node scripts/base-image.mjs [TAG]     (default arizuko-base:local)
// It talks to the engine DOCKER_HOST names, else /var/run/docker.sock. Then:
//        docker build --build-arg BASE_IMAGE=TAG -t arizuko DIR
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DEFAULT_BASE_IMAGE = "arizuko-base:local";

/** Runs a command and returns its stdout; throws with the end of its output when it fails. */
/** @param {string} command @param {string[]} args @param {{ env?: NodeJS.ProcessEnv, input?: Buffer }} [options] @returns {string} */
export function run(command, args, options = {}) {
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

/**
 * Imports the root file system as `tag` into the engine `docker` (environment variables
 * such as DOCKER_HOST) names.
 * @param {string} tag @param {NodeJS.ProcessEnv} [docker]
 */
export function buildBaseImage(tag, docker = {}) {
  const root = mkdtempSync(join(tmpdir(), "arizuko-base-"));
  try {
    mkdirSync(join(root, "usr/local/bin"), { recursive: true });
    copyFileSync(process.execPath, join(root, "usr/local/bin/node"));
    chmodSync(join(root, "usr/local/bin/node"), 0o755);
    // `#!/usr/bin/env node` scripts, such as the arizuko command, need env.
    mkdirSync(join(root, "usr/bin"), { recursive: true });
    copyFileSync("/usr/bin/env", join(root, "usr/bin/env"));
    for (const library of new Set([...linkedBinaries(), "/usr/bin/env"].flatMap(libraries))) {
      mkdirSync(join(root, dirname(library)), { recursive: true });
      copyFileSync(library, join(root, library));
    }
    mkdirSync(join(root, "tmp"), { mode: 0o1777 });
    chmodSync(join(root, "tmp"), 0o1777);
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/tmp:/bin/sh\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\nagent:x:1000:\n");
    const tar = execFileSync("tar", ["-C", root, "-c", "."], { maxBuffer: 512 * 1024 * 1024 });
    run("docker", ["import", "--change", "ENV PATH=/usr/local/bin:/usr/bin:/bin", "-", tag], { env: docker, input: tar });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tag = process.argv[2] ?? DEFAULT_BASE_IMAGE;
  try {
    buildBaseImage(tag);
    process.stdout.write(`${tag}\n`);
  } catch (error) {
    process.stderr.write(`base-image: ${error.message}\n`);
    process.exit(1);
  }
}
