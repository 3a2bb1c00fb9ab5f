/**
 * Per-group agent profiles from the config: which harness, options and model endpoint
 * a group's runs get from `agent`, `model` and the longest matching `agent.groups`
 * entry. Also the config errors for invalid entries.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentProfile, configuredHarnesses } from "../src/agent/profile.js";
import { loadConfig } from "../src/config/load.js";
import { tempDir } from "./helpers/instance.js";

let dir: string;
beforeEach(() => {
  dir = tempDir("arizuko-profile-");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string) {
  const file = join(dir, "arizuko.yaml");
  writeFileSync(file, yaml);
  return loadConfig({ file, cwd: dir, env: { ANTHROPIC_KEY: "sk-ant-test" } }).config;
}

const CONFIG = `
agent:
  harness: openai
  options: { maxSteps: 4 }
  groups:
    acme:
      model: { models: [local-small] }
    acme/support:
      harness: claude
      options: { maxTurns: 8 }
      model: { api: anthropic, baseUrl: "https://api.anthropic.com/v1", apiKey: "\${ANTHROPIC_KEY}", models: [claude-sonnet-4-5] }
    acme/sales:
      harness: openai
model:
  baseUrl: http://127.0.0.1:11434/v1
  apiKey: local-key
  models: [local-large, local-small]
`;

describe("agent profiles", () => {
  it.each([
    ["main", null, "openai", { maxSteps: 4 }, "openai", ["local-large", "local-small"], "local-key"],
    ["acme", "acme", "openai", { maxSteps: 4 }, "openai", ["local-small"], "local-key"],
    ["acme/billing", "acme", "openai", { maxSteps: 4 }, "openai", ["local-small"], "local-key"],
    ["acme/support", "acme/support", "claude", { maxTurns: 8 }, "anthropic", ["claude-sonnet-4-5"], "sk-ant-test"],
    ["acme/support/tier2", "acme/support", "claude", { maxTurns: 8 }, "anthropic", ["claude-sonnet-4-5"], "sk-ant-test"],
    // The same harness keeps the default options, and the entry changes no model field.
    ["acme/sales", "acme/sales", "openai", { maxSteps: 4 }, "openai", ["local-large", "local-small"], "local-key"],
    // A folder that only starts like a key is not in its subtree.
    ["acme-two", null, "openai", { maxSteps: 4 }, "openai", ["local-large", "local-small"], "local-key"],
  ])("gives %s its entry", (folder, from, harness, options, api, models, apiKey) => {
    const profile = agentProfile(load(CONFIG), folder);

    expect(profile.from).toBe(from);
    expect(profile.harness).toEqual({ name: harness, options });
    expect(profile.model).toMatchObject({ api, models, apiKey, timeoutMs: 300_000 });
  });

  it("drops the default options when a group changes harness without its own", () => {
    const config = load("agent:\n  harness: openai\n  options: { maxSteps: 4 }\n  groups:\n    ops: { harness: demo }\nmodel: { baseUrl: http://127.0.0.1:9/v1, models: [m] }\n");

    expect(agentProfile(config, "ops").harness).toEqual({ name: "demo", options: {} });
  });

  it("lists every configured harness with its setting", () => {
    expect(configuredHarnesses(load(CONFIG))).toEqual([
      { harness: "openai", setting: "agent.harness" },
      { harness: "claude", setting: "agent.groups.acme/support.harness" },
      { harness: "openai", setting: "agent.groups.acme/sales.harness" },
    ]);
  });

  it.each([
    ["a key that is no folder", "agent:\n  groups:\n    Acme: { harness: demo }\n", 'agent.groups: the key "Acme" is not a group folder'],
    ["an unknown entry field", "agent:\n  groups:\n    acme: { harnes: demo }\n", 'unknown field "harnes"'],
    ["an unknown model field", "agent:\n  groups:\n    acme: { model: { key: x } }\n", 'unknown field "key"'],
    ["an unknown API", "agent:\n  groups:\n    acme: { model: { api: gemini } }\n", 'expected one of "openai", "anthropic", got "gemini"'],
    ["a model harness without a model", "agent:\n  harness: openai\n", "agent: the openai harness needs a model; set model.baseUrl and model.models"],
    [
      "claude on an OpenAI endpoint",
      "agent:\n  groups:\n    main: { harness: claude }\nmodel: { baseUrl: http://127.0.0.1:9/v1, models: [m] }\n",
      "agent.groups.main: the claude harness needs an endpoint speaking the anthropic API, but model.api is openai; set model.api: anthropic (and its baseUrl)",
    ],
    [
      "openai on an Anthropic endpoint",
      "agent:\n  groups:\n    main: { harness: openai, model: { api: anthropic } }\nmodel: { baseUrl: http://127.0.0.1:9/v1, models: [m] }\n",
      "agent.groups.main: the openai harness needs an endpoint speaking the openai API, but agent.groups.main.model.api is anthropic; set agent.groups.main.model.api: openai (and its baseUrl)",
    ],
    [
      "a model the endpoint does not allow",
      "agent:\n  harness: openai\n  options: { model: big }\nmodel: { baseUrl: http://127.0.0.1:9/v1, models: [small] }\n",
      'agent.options.model is "big", which model.models does not allow (small); add it there or pick one of them',
    ],
  ])("rejects %s", (_case, yaml, problem) => {
    expect(() => load(yaml)).toThrow(problem);
  });
});
