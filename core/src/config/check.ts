/**
 * `arizuko config check`: validates a config file the way `arizuko start` would, the
 * core's settings and every plugin's, and lists every problem at once with its path,
 * what was expected and how to fix it. It imports the plugins but starts nothing and
 * opens no database, so it is safe beside a running instance.
 */
import { isArizukoError } from "@arizuko/sdk";
import type { PluginEntryConfig } from "./schema.js";
import { DEFAULT_PLUGINS } from "./schema.js";
import { loadConfig, readRawConfig, type ConfigOverrides } from "./load.js";
import { loadPlugins } from "../plugins/loader.js";

export interface CheckResult {
  output: string;
  exitCode: number;
}

/** Keeps the entries of a raw plugins list that have the shape of one, so their configs can still be checked. */
export function entriesOf(raw: unknown): PluginEntryConfig[] {
  if (raw === undefined) return DEFAULT_PLUGINS;
  if (!Array.isArray(raw)) return [];
  return raw.filter((entry): entry is PluginEntryConfig => typeof entry === "string" || (typeof entry === "object" && entry !== null && typeof (entry as { use?: unknown }).use === "string"));
}

/** Runs `fn`; a coded error becomes a problem, anything else is a bug and is thrown. */
async function collect<T>(problems: string[], fn: () => Promise<T> | T): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    if (!isArizukoError(error)) throw error;
    problems.push(error.message);
    return null;
  }
}

export async function checkConfig(options: { file?: string; cwd?: string; overrides?: ConfigOverrides; env?: NodeJS.ProcessEnv }): Promise<CheckResult> {
  const problems: string[] = [];
  const resolved = await collect(problems, () => loadConfig(options));
  // With the core settings invalid, the plugins list is read as written, so its problems show too.
  const source = resolved ?? (await collect([], () => readRawConfig(options)));
  if (!source) return { output: problems.join("\n"), exitCode: 1 };

  const entries = resolved ? resolved.config.plugins : entriesOf((source as { raw: Record<string, unknown> }).raw.plugins);
  let failures: Array<{ name: string; error: string }> = [];
  const loaded = await collect(problems, async () => {
    try {
      return await loadPlugins(entries, source.baseDir);
    } catch (error) {
      failures = (error as { failures?: typeof failures }).failures ?? [];
      throw error;
    }
  });
  for (const failure of loaded?.failures ?? failures) problems.push(`plugin ${failure.name}: ${failure.error}`);

  const where = source.file ?? "the built-in defaults";
  if (problems.length > 0) return { output: `${where} is not valid:\n${problems.join("\n")}`, exitCode: 1 };
  const names = loaded!.plugins.map((plugin) => plugin.definition.name).join(", ");
  const verdict = source.file ? `${source.file} is valid` : "no config file; the built-in defaults are valid";
  return { output: `${verdict}; plugins: ${names}`, exitCode: 0 };
}
