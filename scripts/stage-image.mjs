#!/usr/bin/env node
// Stages the build context of an image: its Dockerfile, and under app/ the compiled
// package with its production dependencies as npm installed them here (so a build
// needs no registry and no compiler). Run `npm run build` first.
//
//   agent    the agent runner (agent/Dockerfile, @arizuko/agent)
//   gateway  arizuko itself (Dockerfile, @arizuko/core and the first-party plugins)
//
// Usage: node scripts/stage-image.mjs agent|gateway DIR
// Then:  docker build -t arizuko-agent DIR        (BASE_IMAGE defaults to node:20-bookworm-slim)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const IMAGES = {
  agent: { workspace: "@arizuko/agent", dockerfile: join(ROOT, "agent", "Dockerfile"), entry: join(ROOT, "agent", "dist", "main.js") },
  gateway: { workspace: "@arizuko/core", dockerfile: join(ROOT, "Dockerfile"), entry: join(ROOT, "core", "dist", "index.js") },
};
/** Parts of a workspace package without a `files` list that the image needs; sources and tests stay out. */
const WORKSPACE_PARTS = ["dist", "bin", "migrations", "templates", "public"];

function fail(message) {
  process.stderr.write(`stage: ${message}\n`);
  process.exit(1);
}

/**
 * Lists a workspace's production dependencies, itself included, as installed here: each
 * installed folder and where it goes under app/. A package npm could not hoist sits in
 * a workspace's own node_modules and goes under that package in the image.
 */
function dependencyFolders(workspace) {
  const output = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable", "--workspace", workspace], { cwd: ROOT, encoding: "utf8" });
  return output
    .split("\n")
    .filter((line) => line.startsWith(ROOT + "/") && line.includes("/node_modules/"))
    .map((line) => {
      const path = relative(ROOT, line);
      const split = path.indexOf("node_modules/");
      const owner = path.slice(0, split).replace(/\/$/, "");
      // A nested package is copied with the package it sits in.
      if (path.slice(split + "node_modules/".length).includes("/node_modules/")) return null;
      if (owner === "") return { from: path, to: path };
      const name = JSON.parse(readFileSync(join(ROOT, owner, "package.json"), "utf8")).name;
      return { from: path, to: join("node_modules", name, path.slice(split)) };
    })
    .filter((entry) => entry !== null);
}

function copyPackage(from, to) {
  if (lstatSync(from).isSymbolicLink()) {
    // A workspace package: only what `npm pack` would ship, its package.json `files`.
    // NOTE: entries are taken as plain paths; a glob in `files` would be skipped.
    const files = JSON.parse(readFileSync(join(from, "package.json"), "utf8")).files ?? WORKSPACE_PARTS;
    for (const part of ["package.json", ...files]) if (existsSync(join(from, part))) cpSync(join(from, part), join(to, part), { recursive: true, dereference: true });
    return;
  }
  cpSync(from, to, { recursive: true, dereference: true });
}

const [kind, target] = process.argv.slice(2);
const image = IMAGES[kind];
if (!image || !target) fail("usage: node scripts/stage-image.mjs agent|gateway DIR");
if (!existsSync(image.entry)) fail(`${image.entry} is missing; run npm run build first`);

const dir = resolve(target);
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, "app"), { recursive: true });
cpSync(image.dockerfile, join(dir, "Dockerfile"));
for (const { from, to } of dependencyFolders(image.workspace)) copyPackage(join(ROOT, from), join(dir, "app", to));
if (kind === "gateway") {
  // The data folder exists in the image owned by the gateway's user, so a new named volume
  // mounted there starts out writable.
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data", ".keep"), "");
  // What `npm pack` would bundle into @arizuko/core: the core migrations and the group template.
  const core = join(dir, "app", "node_modules", "@arizuko", "core");
  // The `arizuko` command on the image's PATH, as npm links a package's bin.
  mkdirSync(join(dir, "app", "bin"));
  symlinkSync("../node_modules/@arizuko/core/bin/arizuko.js", join(dir, "app", "bin", "arizuko"));
  const outsideBuilds = (source) => !/[\\/](dist|node_modules)([\\/]|$)/.test(source.slice(ROOT.length));
  for (const folder of ["migrations", "templates"]) cpSync(join(ROOT, folder), join(core, folder), { recursive: true, filter: outsideBuilds });
}
process.stdout.write(`${dir}\n`);
