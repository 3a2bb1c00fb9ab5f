/**
 * Finds, reads and validates the config: `--config FILE`, else `arizuko.yaml`,
 * `arizuko.yml` or `arizuko.json` in the working folder, else the embedded defaults.
 * `${NAME}` in any string is replaced by the environment variable NAME. When NAME is unset,
 * the contents of the file NAME_FILE names are used (the Docker secrets convention), else
 * the default in `${NAME:-default}`. `$${` keeps a literal `${`. Validation then converts
 * text to the number or boolean a field needs.
 * Command-line flags override the file.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createRequire } from "node:module";
import { profileProblems } from "../agent/profile.js";
import { errors } from "../errors.js";
import { HOOK_NAMES } from "../hooks/catalog.js";
import { ConfigSchema, DEFAULT_DATA, type Config } from "./schema.js";
import { validate } from "./validate.js";

export const CONFIG_FILE_NAMES = ["arizuko.yaml", "arizuko.yml", "arizuko.json"];

export interface ConfigOverrides {
  data?: string;
  host?: string;
  port?: number;
  insecure?: boolean;
}

export interface ResolvedConfig {
  config: Config;
  /** Absolute path of the file read, or null for the embedded defaults. */
  file: string | null;
  /** Folder that relative paths in the config are resolved against. */
  baseDir: string;
  /** Absolute data folder. */
  dataDir: string;
}

const ENV_REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Reads a secret from the file `NAME_FILE` names, without the trailing newline editors add. */
function secretFile(file: string, name: string, path: string): string {
  try {
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    throw errors.configEnvFile(file, name, path, (error as Error).message);
  }
}

function lookup(file: string, env: NodeJS.ProcessEnv, name: string, fallback: string | undefined): string {
  const value = env[name];
  if (value !== undefined) return value;
  const path = env[`${name}_FILE`];
  if (path !== undefined) return secretFile(file, name, path);
  if (fallback !== undefined) return fallback;
  throw errors.configEnvMissing(file, name);
}

function substitute(value: unknown, file: string, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === "string") {
    return value.replace(ENV_REFERENCE, (whole: string, escaped: string, name: string, fallback: string | undefined) => {
      if (escaped) return whole.slice(1);
      return lookup(file, env, name, fallback);
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, file, env));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, file, env)]));
  }
  return value;
}

function findFile(explicit: string | undefined, cwd: string): string | null {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw errors.configNotFound(file);
    return file;
  }
  const found = CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((file) => existsSync(file));
  return found ?? null;
}

/** Parses YAML (of which JSON is a subset); the parser is loaded only when a config file exists. */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return yaml.parse(text);
}

function readFile(file: string): unknown {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, "utf8"));
  } catch (error) {
    throw errors.configUnreadable(file, (error as Error).message);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    throw errors.configUnreadable(file, "the top level must be a mapping of settings");
  }
  return parsed;
}

/**
 * Returns the data folder a config names, reading only its `data` field. Commands for a
 * running instance need nothing else, so they work without the secrets (tokens in
 * environment variables) the server was started with.
 */
export function dataDirOf(options: { file?: string; cwd?: string; overrides?: ConfigOverrides; env?: NodeJS.ProcessEnv } = {}): string {
  const cwd = options.cwd ?? process.cwd();
  if (options.overrides?.data !== undefined) return resolve(cwd, options.overrides.data);
  const file = findFile(options.file, cwd);
  if (file === null) return resolve(cwd, DEFAULT_DATA);
  const data = (readFile(file) as { data?: unknown }).data;
  const value = data === undefined ? DEFAULT_DATA : substitute(data, file, options.env ?? process.env);
  if (typeof value !== "string") throw errors.configInvalid(file, [`data: expected a folder path, got ${JSON.stringify(value)}`]);
  return resolve(dirname(file), value);
}

/**
 * Returns the config file found for `options` and its contents with variables
 * substituted, before any validation: what `config check` reads the plugins list from
 * when the rest of the file is invalid.
 */
export function readRawConfig(options: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): { file: string | null; baseDir: string; raw: Record<string, unknown> } {
  const cwd = options.cwd ?? process.cwd();
  const file = findFile(options.file, cwd);
  const raw = file ? (substitute(readFile(file), file, options.env ?? process.env) as Record<string, unknown>) : {};
  return { file, baseDir: file ? dirname(file) : cwd, raw };
}

export function loadConfig(
  options: { file?: string; cwd?: string; overrides?: ConfigOverrides; env?: NodeJS.ProcessEnv } = {},
): ResolvedConfig {
  const cwd = options.cwd ?? process.cwd();
  const file = findFile(options.file, cwd);
  const raw = file ? substitute(readFile(file), file, options.env ?? process.env) : {};

  const { value: config, problems } = validate<Config>(ConfigSchema, raw);
  for (const hook of Object.keys(config.hooks.timeoutsMs)) {
    if (!(HOOK_NAMES as string[]).includes(hook)) problems.push(`hooks.timeoutsMs: unknown hook "${hook}"; hooks are listed in docs/plugins.md`);
  }
  if (problems.length === 0) problems.push(...profileProblems(config));
  if (problems.length > 0) throw errors.configInvalid(file ?? "the embedded defaults", problems);

  const overrides = options.overrides ?? {};
  if (overrides.host !== undefined) config.http.host = overrides.host;
  if (overrides.port !== undefined) config.http.port = overrides.port;
  if (overrides.insecure) config.insecure = true;

  const baseDir = file ? dirname(file) : cwd;
  const dataDir = overrides.data !== undefined ? resolve(cwd, overrides.data) : resolve(baseDir, config.data);
  return { config, file, baseDir, dataDir };
}
