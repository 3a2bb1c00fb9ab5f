/**
 * Resolves, imports and checks the plugins listed in the config, and orders them by
 * their dependencies. A plugin that cannot be imported or has the wrong shape or API
 * version is reported as failed and the others load; an invalid plugin config stops
 * start-up, because running with a config the operator did not mean is worse.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { HOST_API_VERSION, PLUGIN_NAME_PATTERN, type PluginDefinition } from "@arizuko/sdk";
import { createRequire } from "node:module";
import type { PluginEntryConfig } from "../config/schema.js";
import { validate, type JsonSchema } from "../config/validate.js";
import { describe, errors } from "../errors.js";
import type { Owner } from "./registry.js";

export interface PluginCandidate {
  /** The entry as written in the config. */
  entry: string;
  /** Position in the config's plugin list, for messages. */
  index: number;
  config: Record<string, unknown> | undefined;
}

export interface LoadedPlugin {
  definition: PluginDefinition;
  owner: Owner;
  /** Package name or file the plugin came from. */
  source: string;
  config: unknown;
  index: number;
}

export interface PluginFailure {
  /** Plugin name when known, else the config entry. */
  name: string;
  source: string;
  version: string | null;
  error: string;
}

export interface LoadResult {
  plugins: LoadedPlugin[];
  failures: PluginFailure[];
}

const SHORT_NAME = /^[a-z][a-z0-9-]*$/;
const FIRST_PARTY_SCOPE = "@arizuko/";

export function candidates(entries: PluginEntryConfig[]): PluginCandidate[] {
  return entries.map((entry, index) =>
    typeof entry === "string" ? { entry, index, config: undefined } : { entry: entry.use, index, config: entry.config },
  );
}

function isPath(entry: string): boolean {
  return entry.startsWith(".") || isAbsolute(entry) || entry.startsWith("file:");
}

/** Module specifiers to try for an entry, most specific first. */
function specifiers(entry: string): string[] {
  if (!SHORT_NAME.test(entry)) return [entry];
  return [`${FIRST_PARTY_SCOPE}plugin-${entry}`, `arizuko-plugin-${entry}`, entry];
}

/**
 * Resolves a package specifier from `parent` (a file URL), or returns null. require's
 * resolution is fast and covers packages that export a `default` or `require`
 * condition; `esm` adds the full ESM algorithm (slower to load) for ESM-only packages.
 */
async function resolveFrom(specifier: string, parent: string, esm: boolean): Promise<string | null> {
  try {
    if (!esm) return pathToFileURL(createRequire(parent).resolve(specifier)).href;
    const { resolve } = await import("import-meta-resolve");
    return resolve(specifier, parent);
  } catch {
    return null;
  }
}

/** Resolves an entry to a module URL, looking beside the config first and then beside arizuko itself. */
async function locate(entry: string, baseDir: string): Promise<{ url: string; specifier: string }> {
  if (isPath(entry)) {
    const path = entry.startsWith("file:") ? new URL(entry).pathname : resolvePath(baseDir, entry);
    if (!existsSync(path)) throw errors.pluginNotFound(entry, [path]);
    return { url: pathToFileURL(path).href, specifier: path };
  }

  const parents = [pathToFileURL(resolvePath(baseDir, "arizuko.config")).href, import.meta.url];
  for (const esm of [false, true]) {
    for (const specifier of specifiers(entry)) {
      for (const parent of parents) {
        const url = await resolveFrom(specifier, parent, esm);
        if (url !== null) return { url, specifier };
      }
    }
  }
  throw errors.pluginNotFound(entry, specifiers(entry));
}

function checkShape(entry: string, candidate: unknown): PluginDefinition {
  if (typeof candidate !== "object" || candidate === null) throw errors.pluginShape(entry, "has no default export");
  const definition = candidate as Partial<PluginDefinition>;
  if (typeof definition.name !== "string" || !PLUGIN_NAME_PATTERN.test(definition.name)) {
    throw errors.pluginShape(entry, `has no valid name (must match ${PLUGIN_NAME_PATTERN.source})`);
  }
  if (typeof definition.register !== "function") throw errors.pluginShape(entry, "has no register() function");
  if (typeof definition.apiVersion !== "number") throw errors.pluginShape(entry, "does not declare apiVersion");
  if (definition.apiVersion !== HOST_API_VERSION) {
    throw Object.assign(errors.pluginApiVersion(definition.name, definition.apiVersion, HOST_API_VERSION), {
      plugin: { name: definition.name, version: typeof definition.version === "string" ? definition.version : null },
    });
  }
  return definition as PluginDefinition;
}

async function importOne(candidate: PluginCandidate, baseDir: string): Promise<LoadedPlugin> {
  const { url, specifier } = await locate(candidate.entry, baseDir);
  const module = (await import(url)) as { default?: unknown };
  const definition = checkShape(candidate.entry, module.default);
  return {
    definition,
    owner: { name: definition.name, firstParty: specifier.startsWith(FIRST_PARTY_SCOPE) },
    source: specifier,
    config: candidate.config,
    index: candidate.index,
  };
}

/**
 * Imports the plugin an entry names and returns its definition and the specifier it was
 * found under, without checking its config: what `config schema` needs.
 */
export async function importDefinition(entry: string, baseDir: string): Promise<{ definition: PluginDefinition; specifier: string }> {
  const { url, specifier } = await locate(entry, baseDir);
  const module = (await import(url)) as { default?: unknown };
  return { definition: checkShape(entry, module.default), specifier };
}

function embed(candidate: PluginCandidate, definition: unknown): LoadedPlugin {
  const checked = checkShape(candidate.entry, definition);
  return { definition: checked, owner: { name: checked.name, firstParty: false }, source: "embedded", config: candidate.config, index: candidate.index };
}

/** Validates each plugin's config against its schema; returns every problem, named by plugin and field. */
function validateConfigs(plugins: LoadedPlugin[]): string[] {
  const problems: string[] = [];
  for (const plugin of plugins) {
    const schema = plugin.definition.configSchema;
    if (!schema) continue;
    const base = `plugins[${plugin.index}].config`;
    const result = validate(schema as unknown as JsonSchema, plugin.config ?? {}, base);
    plugin.config = result.value;
    problems.push(...result.problems.map((problem) => `plugin ${plugin.definition.name}: ${problem}`));
    if (result.problems.length > 0 || typeof plugin.definition.checkConfig !== "function") continue;
    try {
      problems.push(...plugin.definition.checkConfig(result.value as never).map((problem) => `plugin ${plugin.definition.name}: ${base}.${problem}`));
    } catch (error) {
      problems.push(`plugin ${plugin.definition.name}: checkConfig() threw: ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Orders plugins so each comes after its dependencies, keeping config order otherwise. */
function order(plugins: LoadedPlugin[], failures: PluginFailure[]): LoadedPlugin[] {
  const byName = new Map(plugins.map((plugin) => [plugin.definition.name, plugin]));
  const failedNames = new Set(failures.map((failure) => failure.name));
  const ordered: LoadedPlugin[] = [];
  const state = new Map<string, "visiting" | "done" | "failed">();

  const visit = (plugin: LoadedPlugin, path: string[]): boolean => {
    const name = plugin.definition.name;
    const seen = state.get(name);
    if (seen === "done") return true;
    if (seen === "failed") return false;
    if (seen === "visiting") {
      // Every member of the cycle gets the same explanation.
      const cycle = [...path.slice(path.indexOf(name)), name];
      for (let index = 0; index < cycle.length - 1; index += 1) {
        const member = byName.get(cycle[index]!)!;
        fail(member, errors.pluginDependency(cycle[index]!, cycle[index + 1]!, `forms a cycle (${cycle.join(" → ")})`).message);
      }
      return false;
    }

    state.set(name, "visiting");
    for (const dependency of plugin.definition.dependencies ?? []) {
      const target = byName.get(dependency);
      const why = target ? null : failedNames.has(dependency) ? "failed to load" : "is not in the plugins list";
      if (why !== null || !visit(target!, [...path, name])) {
        fail(plugin, errors.pluginDependency(name, dependency, why ?? "failed to load").message);
        return false;
      }
    }
    state.set(name, "done");
    ordered.push(plugin);
    return true;
  };

  const fail = (plugin: LoadedPlugin, error: string) => {
    if (state.get(plugin.definition.name) === "failed") return;
    state.set(plugin.definition.name, "failed");
    failures.push({ name: plugin.definition.name, source: plugin.source, version: plugin.definition.version ?? null, error });
  };

  for (const plugin of plugins) visit(plugin, []);
  return ordered;
}

/** A plugin handed over as a definition (embedding, tests) rather than named in the config. */
export interface EmbeddedPlugin {
  definition: unknown;
  config?: Record<string, unknown>;
}

/**
 * Imports every configured plugin, then takes the embedded ones. Throws
 * ARZ_ERR_CONFIG_INVALID when any plugin's config is invalid; every other problem
 * becomes a failure and the rest load.
 */
export async function loadPlugins(entries: PluginEntryConfig[], baseDir: string, embedded: EmbeddedPlugin[] = []): Promise<LoadResult> {
  const failures: PluginFailure[] = [];
  const loaded: LoadedPlugin[] = [];
  const sources: Array<{ candidate: PluginCandidate; load: () => Promise<LoadedPlugin> }> = [
    ...candidates(entries).map((candidate) => ({ candidate, load: () => importOne(candidate, baseDir) })),
    ...embedded.map((plugin, offset) => {
      const candidate = { entry: `embedded plugin #${offset}`, index: entries.length + offset, config: plugin.config };
      return { candidate, load: async () => embed(candidate, plugin.definition) };
    }),
  ];

  for (const { candidate, load } of sources) {
    try {
      const plugin = await load();
      const clash = loaded.find((other) => other.definition.name === plugin.definition.name);
      if (clash) {
        failures.push({
          name: `${plugin.definition.name}#${candidate.index}`,
          source: plugin.source,
          version: plugin.definition.version ?? null,
          error: errors.nameCollision("plugin", plugin.definition.name, clash.source, plugin.source).message,
        });
        continue;
      }
      loaded.push(plugin);
    } catch (error) {
      // Name the plugin when its definition was read far enough to know it.
      const known = (error as { plugin?: { name: string; version: string | null } }).plugin;
      failures.push({ name: known?.name ?? candidate.entry, source: candidate.entry, version: known?.version ?? null, error: describe(error) });
    }
  }

  const problems = validateConfigs(loaded);
  // The failures travel with the error, so `config check` can list them beside the config problems.
  if (problems.length > 0) throw Object.assign(errors.configInvalid("the plugins list", problems), { failures });

  return { plugins: order(loaded, failures), failures };
}
