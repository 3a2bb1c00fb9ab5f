/**
 * `arizuko doctor`: checks what an instance needs and prints one line per check, `ok`,
 * `warn` or `fail`, with the fix. It checks the config and plugin settings, the database
 * (integrity, pending migrations), free disk space, the agent runner (for the docker
 * runner: the engine and the agent image), the model endpoint, and the clock against the
 * newest stored message, and whatever each plugin's own `doctor()` checks (a channel's
 * token, a linked session). It runs before any host boots, so a broken config or
 * database is diagnosed rather than stopping the command. It sends no chat messages.
 */
import { existsSync, mkdtempSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configuredHarnesses } from "../agent/profile.js";
import { keyHeaders } from "../agent/model-proxy.js";
import { DockerRunner } from "../agent/docker-runner.js";
import { ProcessRunner } from "../agent/process-runner.js";
import { checkConfig } from "../config/check.js";
import { loadConfig, type ConfigOverrides, type ResolvedConfig } from "../config/load.js";
import { describe } from "../errors.js";
import { DATABASE_FILE, openDatabase } from "../store/db.js";
import { loadPlugins } from "../plugins/loader.js";
import { formatPlan, pendingMigrations } from "./migrate-plan.js";
import type { Database } from "better-sqlite3";
import type { DoctorContext, PluginDefinition } from "@arizuko/sdk";
import pino from "pino";

export type Level = "ok" | "warn" | "fail";

export interface Finding {
  check: string;
  level: Level;
  detail: string;
}

const MIB = 1024 * 1024;
/** Below this much free space a warning, below the second a failure: SQLite needs room for its WAL and a backup. */
const DISK_WARN_BYTES = 1024 * MIB;
const DISK_FAIL_BYTES = 100 * MIB;
const MODEL_TIMEOUT_MS = 5000;
/** A stored message this far in the future means the clock was set back. */
const CLOCK_SLACK_MS = 60_000;

function database(resolved: ResolvedConfig): Finding[] {
  const file = join(resolved.dataDir, DATABASE_FILE);
  if (!existsSync(file)) return [{ check: "database", level: "ok", detail: `${file} does not exist yet; the first start creates it` }];
  try {
    const db = openDatabase(file, { readonly: true });
    try {
      const result = db.pragma("quick_check", { simple: true }) as string;
      if (result !== "ok") return [{ check: "database", level: "fail", detail: `${file} is damaged (${result}); restore the newest backup (arizuko backup makes them)` }];
      const newest = (db.prepare("SELECT max(stored_at) AS at FROM messages").get() as { at: number | null } | undefined)?.at ?? null;
      return [{ check: "database", level: "ok", detail: `${file} passes SQLite's quick check` }, clock(newest)];
    } finally {
      db.close();
    }
  } catch (error) {
    return [{ check: "database", level: "fail", detail: `${file} cannot be read (${describe(error)}); check its permissions, or restore a backup` }];
  }
}

function clock(newest: number | null): Finding {
  if (newest === null || newest <= Date.now() + CLOCK_SLACK_MS) return { check: "clock", level: "ok", detail: `${new Date().toISOString()}, not behind the newest stored message` };
  return { check: "clock", level: "warn", detail: `the newest stored message is from ${new Date(newest).toISOString()}, later than now (${new Date().toISOString()}); set the system clock (NTP) before starting` };
}

async function migrations(resolved: ResolvedConfig): Promise<Finding> {
  let plan: Awaited<ReturnType<typeof pendingMigrations>>;
  try {
    plan = await pendingMigrations(resolved);
  } catch (error) {
    return { check: "migrations", level: "warn", detail: `cannot tell (${describe(error)}); fix the database first` };
  }
  if (plan.pending.length === 0 || !existsSync(plan.file)) return { check: "migrations", level: "ok", detail: plan.pending.length === 0 ? "none pending" : "the first start applies them all" };
  return { check: "migrations", level: "warn", detail: `${formatPlan(plan).split("\n")[0]} ${plan.pending.join(", ")}; back up first (arizuko backup)` };
}

function disk(resolved: ResolvedConfig): Finding {
  let folder = resolved.dataDir;
  while (!existsSync(folder)) folder = join(folder, "..");
  const stats = statfsSync(folder);
  const free = stats.bavail * stats.bsize;
  const detail = `${Math.round(free / MIB)} MiB free for ${resolved.dataDir}`;
  if (free < DISK_FAIL_BYTES) return { check: "disk", level: "fail", detail: `${detail}; free space or move the data folder (--data)` };
  if (free < DISK_WARN_BYTES) return { check: "disk", level: "warn", detail: `${detail}; keep at least ${DISK_WARN_BYTES / MIB} MiB for the database, its WAL and backups` };
  return { check: "disk", level: "ok", detail };
}

async function runner(resolved: ResolvedConfig): Promise<Finding> {
  const { runner: settings } = resolved.config;
  const log = pino({ level: "silent" });
  const warm = { helloTimeoutMs: settings.helloTimeoutMs, keepWarmMs: 0, maxRunners: 1, log };
  const checked = settings.kind === "docker" ? new DockerRunner({ ...settings.docker, ...warm, instance: "doctor" }) : new ProcessRunner({ command: settings.command, ...warm });
  // The check runs in a scratch folder: the data folder may not exist before the first start.
  const scratch = mkdtempSync(join(tmpdir(), "arizuko-doctor-"));
  try {
    const hello = await checked.check(configuredHarnesses(resolved.config), scratch);
    const harnesses = (hello as { harnesses?: string[] }).harnesses ?? [];
    return { check: "agent runner", level: "ok", detail: `${settings.kind} runner answers; harnesses: ${harnesses.join(", ") || "none listed"}` };
  } catch (error) {
    const fix = settings.kind === "docker" ? "see docs/agents.md for the engine and the agent image" : "check runner.command, or leave it unset for the bundled agent";
    return { check: "agent runner", level: "fail", detail: `the ${settings.kind} runner did not start (${describe(error)}); ${fix}` };
  } finally {
    await checked.shutdown?.();
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function model(resolved: ResolvedConfig): Promise<Finding> {
  const settings = resolved.config.model;
  if (settings.baseUrl === null) return { check: "model", level: "ok", detail: "no model endpoint configured; the demo harness needs none" };
  const url = `${settings.baseUrl.replace(/\/+$/, "")}/models`;
  try {
    const response = await fetch(url, { headers: keyHeaders(settings), signal: AbortSignal.timeout(MODEL_TIMEOUT_MS) });
    if (response.status === 401 || response.status === 403) return { check: "model", level: "fail", detail: `${url} rejected the key (HTTP ${response.status}); check model.apiKey` };
    if (!response.ok) return { check: "model", level: "warn", detail: `${url} answered HTTP ${response.status}; the endpoint is up, but check model.baseUrl (it should end in /v1)` };
    return { check: "model", level: "ok", detail: `${url} answers` };
  } catch (error) {
    return { check: "model", level: "fail", detail: `${url} is unreachable (${describe(error)}); start the model server or fix model.baseUrl` };
  }
}

/** Time limit of one plugin's checks; network calls should take the signal. */
const PLUGIN_CHECK_TIMEOUT_MS = 15_000;

/** Opens the store read-only for plugin checks; null when it does not exist or cannot be opened (its own line reports that). */
function readOnlyStore(resolved: ResolvedConfig): Database | null {
  const file = join(resolved.dataDir, DATABASE_FILE);
  if (!existsSync(file)) return null;
  try {
    return openDatabase(file, { readonly: true });
  } catch {
    return null;
  }
}

/** Runs one plugin's `doctor()` within its time limit; a throw or a timeout becomes one failed line. */
async function pluginCheck(definition: PluginDefinition, config: unknown, context: Omit<DoctorContext, "signal">): Promise<Finding[]> {
  const signal = AbortSignal.timeout(PLUGIN_CHECK_TIMEOUT_MS);
  const timedOut = new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => reject(new Error(`timed out after ${PLUGIN_CHECK_TIMEOUT_MS / 1000} s`)));
  });
  try {
    const found = await Promise.race([definition.doctor!(config, { ...context, signal }), timedOut]);
    return found.map((finding) => ({ ...finding, check: `${definition.name}: ${finding.check}` }));
  } catch (error) {
    return [{ check: definition.name, level: "fail", detail: `its check failed (${describe(error)}); the plugin's docs list what it needs` }];
  }
}

/** Runs the checks plugins offer (channel credentials and the like); each line starts with the plugin's name. */
async function pluginChecks(resolved: ResolvedConfig): Promise<Finding[]> {
  const { plugins } = await loadPlugins(resolved.config.plugins, resolved.baseDir);
  const db = readOnlyStore(resolved);
  const findings: Finding[] = [];
  try {
    for (const { definition, config } of plugins) {
      if (definition.doctor) findings.push(...(await pluginCheck(definition, config, { dataDir: resolved.dataDir, db })));
    }
  } finally {
    db?.close();
  }
  return findings;
}

/** Runs every check; the config check first, since the others need a valid config. */
export async function doctor(options: { file?: string; overrides?: ConfigOverrides }): Promise<Finding[]> {
  const config = await checkConfig(options);
  if (config.exitCode !== 0) return [{ check: "config", level: "fail", detail: config.output }];
  const resolved = loadConfig(options);
  return [
    { check: "config", level: "ok", detail: config.output },
    ...database(resolved),
    await migrations(resolved),
    disk(resolved),
    await runner(resolved),
    await model(resolved),
    ...(await pluginChecks(resolved)),
  ];
}

export function formatFindings(findings: Finding[]): { output: string; exitCode: number } {
  const lines = findings.map((finding) => `${finding.level.padEnd(4)} ${finding.check}: ${finding.detail.replaceAll("\n", "\n       ")}`);
  const failed = findings.filter((finding) => finding.level === "fail").length;
  return { output: lines.join("\n"), exitCode: failed > 0 ? 1 : 0 };
}
