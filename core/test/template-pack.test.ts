/**
 * The channel-plugin template works outside this repository. The workspace packages
 * are packed with `npm pack` and installed with the template into a temporary folder
 * from the npm cache, offline, so no registry is reached. The template's conformance
 * test then runs there with the packed core and sdk.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CONFORMANCE_PROPERTIES } from "@arizuko/sdk/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const TEMPLATE = join(REPO, "templates/channel-plugin");

/** Returns the environment without npm's own variables from `npm test`, which would point npm at this repository. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("npm_")));
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: "utf8", timeout: 180_000 });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  link?: boolean;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * Points the copied template's dev dependencies at the packed tarballs and writes a
 * lockfile for it from this repository's lock: the third-party packages at the
 * versions the cache holds, and each workspace package as its tarball.
 */
function writeLockedManifest(app: string, packs: string): void {
  const repoLock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const tarballOf = new Map(readdirSync(packs).map((file) => [file.replace(/-\d+\.\d+\.\d+\.tgz$/, ""), `file:../packs/${file}`]));
  const packages: Record<string, LockEntry> = {};
  const devDependencies: Record<string, string> = {};

  for (const [path, entry] of Object.entries(repoLock.packages)) {
    if (path === "" || entry.link) continue;
    if (path.startsWith("node_modules/")) {
      packages[path] = entry;
      continue;
    }
    // A dependency nested under a workspace package (a version the root cannot hoist).
    const nested = path.indexOf("/node_modules/");
    if (nested > 0) {
      const owner = repoLock.packages[path.slice(0, nested)]!.name!;
      packages[`node_modules/${owner}${path.slice(nested)}`] = entry;
      continue;
    }
    // A workspace package: installed from its tarball.
    const name = entry.name!;
    const resolved = tarballOf.get(name.replace("@", "").replace("/", "-"));
    if (!resolved) throw new Error(`npm pack made no tarball for ${name}`);
    const { name: _name, ...rest } = entry;
    packages[`node_modules/${name}`] = { ...rest, resolved };
    devDependencies[name] = resolved;
  }

  const manifest = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as Record<string, unknown> & { devDependencies: Record<string, string> };
  manifest.devDependencies = { ...manifest.devDependencies, ...devDependencies };
  writeFileSync(join(app, "package.json"), JSON.stringify(manifest, null, 2));

  const root = { name: manifest.name, version: manifest.version, devDependencies: manifest.devDependencies, peerDependencies: manifest.peerDependencies };
  const lock = { name: manifest.name, version: manifest.version, lockfileVersion: 3, requires: true, packages: { "": root, ...packages } };
  writeFileSync(join(app, "package-lock.json"), JSON.stringify(lock, null, 2));
}

let dir: string;
let report: { numPassedTests: number; numFailedTests: number; testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }> };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "arizuko-template-"));
  const packs = join(dir, "packs");
  const app = join(dir, "app");

  // 1. Pack every workspace package (dist/ was built by `npm test`).
  mkdirSync(packs);
  run("npm", ["pack", "--workspaces", "--pack-destination", packs, "--silent"], REPO);

  // 2. The template as an author would copy it, depending on the packed packages.
  cpSync(TEMPLATE, app, { recursive: true, filter: (source) => !/\/(dist|node_modules)(\/|$)/.test(source.slice(TEMPLATE.length)) });
  writeLockedManifest(app, packs);

  // 3. Install from the npm cache only (npm ci reads no registry metadata with a lock).
  // The native builds (better-sqlite3, argon2) are taken from this checkout's install
  // (same Node, same machine) instead of compiling them again.
  run("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], app);
  for (const native of ["better-sqlite3", "argon2"]) {
    cpSync(join(REPO, `node_modules/${native}/build`), join(app, `node_modules/${native}/build`), { recursive: true });
  }

  // 4. The template's own test command, with a JSON report to read.
  const result = spawnSync(process.execPath, ["node_modules/vitest/vitest.mjs", "run", "--reporter=json", "--outputFile=report.json"], { cwd: app, env: cleanEnv(), encoding: "utf8", timeout: 180_000 });
  try {
    report = JSON.parse(readFileSync(join(app, "report.json"), "utf8"));
  } catch {
    throw new Error(`the template's tests wrote no report:\n${result.stdout}\n${result.stderr}`);
  }
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the channel-plugin template, packed and installed elsewhere", () => {
  it("passes its conformance test", () => {
    const failures = report.testResults.flatMap((file) => file.assertionResults.filter((test) => test.status !== "passed").map((test) => `${test.title}: ${test.failureMessages.join(" ")}`));
    expect(failures).toEqual([]);
    // One test per property, and the leftovers check.
    expect(report.numPassedTests).toBe(CONFORMANCE_PROPERTIES.length + 1);
  });
});
