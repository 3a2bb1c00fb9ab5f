#!/usr/bin/env node
// Stages the build context of the agent image: agent/Dockerfile, and under app/ the
// compiled agent with its production dependencies as npm installed them here (so a
// build needs no registry and no compiler). Run `npm run build` first.
//
// Usage: node agent/scripts/stage.mjs DIR
// Then:  docker build -t arizuko-agent DIR        (BASE_IMAGE defaults to node:20-bookworm-slim)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const AGENT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = resolve(AGENT, "..");
/** Parts of a workspace package the image needs; sources and tests stay out. */
const WORKSPACE_PARTS = ["package.json", "dist", "bin"];

function fail(message) {
  process.stderr.write(`stage: ${message}\n`);
  process.exit(1);
}

/** Folders of the agent's production dependencies, as installed at the workspace root. */
function dependencyFolders() {
  const output = execFileSync("npm", ["ls", "--omit=dev", "--all", "--parseable", "--workspace", "@arizuko/agent"], { cwd: ROOT, encoding: "utf8" });
  return output
    .split("\n")
    .filter((line) => line.startsWith(join(ROOT, "node_modules") + "/"))
    .map((line) => relative(ROOT, line))
    // A nested package is copied with the package it sits in.
    .filter((path) => path.split("node_modules").length === 2);
}

function copyPackage(from, to) {
  if (lstatSync(from).isSymbolicLink()) {
    // A workspace package: only what it ships.
    for (const part of WORKSPACE_PARTS) if (existsSync(join(from, part))) cpSync(join(from, part), join(to, part), { recursive: true, dereference: true });
    return;
  }
  cpSync(from, to, { recursive: true, dereference: true });
}

const target = process.argv[2];
if (!target) fail("usage: node agent/scripts/stage.mjs DIR");
if (!existsSync(join(AGENT, "dist", "main.js"))) fail(`${join(AGENT, "dist", "main.js")} is missing; run npm run build first`);

const dir = resolve(target);
rmSync(dir, { recursive: true, force: true });
mkdirSync(join(dir, "app"), { recursive: true });
cpSync(join(AGENT, "Dockerfile"), join(dir, "Dockerfile"));
for (const folder of dependencyFolders()) copyPackage(join(ROOT, folder), join(dir, "app", folder));
process.stdout.write(`${dir}\n`);
