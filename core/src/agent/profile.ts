/**
 * A group's agent profile: which harness replies to it, with which options, and which
 * model endpoint its runs may use. `agent` and `model` give the defaults; an entry of
 * `agent.groups` changes them for a group and its subtree, the longest matching
 * folder winning. Options carry over only while the harness stays the same, since
 * each harness reads its own.
 */
import { inSubtree } from "@arizuko/sdk";
import type { Config } from "../config/schema.js";
import type { ModelConfig } from "./model-proxy.js";

export interface AgentProfile {
  harness: { name: string; options: Record<string, unknown> };
  model: ModelConfig;
  /** The `agent.groups` entry that applied, or null for the defaults. */
  from: string | null;
}

/** Finds the `agent.groups` key that applies to `folder`: the longest one naming it or an ancestor. */
function entryFor(groups: Config["agent"]["groups"], folder: string): string | null {
  let best: string | null = null;
  for (const key of Object.keys(groups)) {
    if (inSubtree(key, folder) && (best === null || key.length > best.length)) best = key;
  }
  return best;
}

export function agentProfile(config: Pick<Config, "agent" | "model">, folder: string): AgentProfile {
  const defaults = { harness: { name: config.agent.harness, options: config.agent.options }, model: config.model };
  const key = entryFor(config.agent.groups, folder);
  if (key === null) return { ...defaults, from: null };

  const entry = config.agent.groups[key]!;
  const name = entry.harness ?? defaults.harness.name;
  const options = entry.options ?? (name === defaults.harness.name ? defaults.harness.options : {});
  return { harness: { name, options }, model: { ...defaults.model, ...entry.model }, from: key };
}

/** Lists every harness the config names, each with its setting, for the start-up check. */
export function configuredHarnesses(config: Pick<Config, "agent">): Array<{ harness: string; setting: string }> {
  const named = [{ harness: config.agent.harness, setting: "agent.harness" }];
  for (const [key, entry] of Object.entries(config.agent.groups)) {
    if (entry.harness !== undefined) named.push({ harness: entry.harness, setting: `agent.groups.${key}.harness` });
  }
  return named;
}

/** The API each harness built into the agent runner needs its model endpoint to speak. */
const MODEL_APIS: Record<string, ModelConfig["api"]> = { openai: "openai", claude: "anthropic" };

/**
 * Checks each profile the config can give (the defaults and every `agent.groups` entry)
 * against its harness: a model harness needs an endpoint of its API, and the model its
 * options name must be one the endpoint allows. Returns one problem per mistake, naming
 * the setting to change; harnesses of other agent runners are not known here.
 */
export function profileProblems(config: Pick<Config, "agent" | "model">): string[] {
  const problems: string[] = [];
  const entries: Array<[string | null, string]> = [[null, "agent"], ...Object.keys(config.agent.groups).map((key): [string, string] => [key, `agent.groups.${key}`])];

  for (const [key, where] of entries) {
    // No folder is empty, so "" gets the defaults.
    const profile = agentProfile(config, key ?? "");
    const api = MODEL_APIS[profile.harness.name];
    if (api === undefined) continue;
    const modelAt = key !== null && config.agent.groups[key]!.model !== undefined ? `${where}.model` : "model";
    const { model } = profile;

    if (model.baseUrl === null || model.models.length === 0) {
      problems.push(`${where}: the ${profile.harness.name} harness needs a model; set ${modelAt}.baseUrl and ${modelAt}.models`);
    } else if (model.api !== api) {
      problems.push(`${where}: the ${profile.harness.name} harness needs an endpoint speaking the ${api} API, but ${modelAt}.api is ${model.api}; set ${modelAt}.api: ${api} (and its baseUrl)`);
    }
    const chosen = profile.harness.options.model;
    if (typeof chosen === "string" && model.models.length > 0 && !model.models.includes(chosen)) {
      problems.push(`${where}.options.model is ${JSON.stringify(chosen)}, which ${modelAt}.models does not allow (${model.models.join(", ")}); add it there or pick one of them`);
    }
  }
  return problems;
}
