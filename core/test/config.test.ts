import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_PLUGINS } from "../src/config/schema.js";
import { loadConfig } from "../src/config/load.js";
import { tempDir } from "./helpers/instance.js";

let dir: string;
beforeEach(() => {
  dir = tempDir("arizuko-config-");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `text` to `name` in the test folder and returns its path. */
function write(name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, ".."), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Runs `load` and returns the coded error it throws. */
function failure(load: () => unknown): { code: string; message: string } {
  try {
    load();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected loadConfig to throw");
}

describe("config defaults", () => {
  it("serve a first run", () => {
    const resolved = loadConfig({ cwd: dir, env: {} });

    expect(resolved.file).toBeNull();
    expect(resolved.baseDir).toBe(dir);
    expect(resolved.dataDir).toBe(join(dir, "data"));
    expect(resolved.config.http).toEqual({ host: "127.0.0.1", port: 8080, trustProxy: false });
    expect(resolved.config.plugins).toEqual(DEFAULT_PLUGINS);
    expect(resolved.config.runner.kind).toBe("process");
    expect(resolved.config.agent.harness).toBe("demo");
  });

  it("fill fields a file omits", () => {
    const file = write("arizuko.yaml", "http:\n  port: 9000\n");
    const { config } = loadConfig({ file, cwd: dir, env: {} });

    expect(config.http).toEqual({ host: "127.0.0.1", port: 9000, trustProxy: false });
    expect(config.data).toBe("./data");
    expect(config.plugins).toEqual(DEFAULT_PLUGINS);
  });
});

describe("config files", () => {
  const settings = { http: { port: 9100 }, plugins: ["web"], queue: { maxConcurrentRuns: 2 } };

  it("read YAML", () => {
    const file = write("arizuko.yaml", "http:\n  port: 9100\nplugins:\n  - web\nqueue:\n  maxConcurrentRuns: 2\n");
    const { config } = loadConfig({ file, cwd: dir, env: {} });

    expect(config).toMatchObject(settings);
  });

  it("read JSON", () => {
    const file = write("arizuko.json", JSON.stringify(settings));
    const { config } = loadConfig({ file, cwd: dir, env: {} });

    expect(config).toMatchObject(settings);
  });

  it.each(["arizuko.yaml", "arizuko.yml", "arizuko.json"])("find %s in the working folder", (name) => {
    const file = write(name, JSON.stringify({ http: { port: 9200 } }));
    const resolved = loadConfig({ cwd: dir, env: {} });

    expect(resolved.file).toBe(file);
    expect(resolved.config.http.port).toBe(9200);
  });

  it("prefer YAML over JSON", () => {
    const yaml = write("arizuko.yaml", "http:\n  port: 9301\n");
    write("arizuko.json", JSON.stringify({ http: { port: 9302 } }));

    expect(loadConfig({ cwd: dir, env: {} }).file).toBe(yaml);
  });

  it("accept an empty file", () => {
    const file = write("arizuko.yaml", "");

    expect(loadConfig({ file, cwd: dir, env: {} }).config.http.port).toBe(8080);
  });

  it("reject a missing --config file", () => {
    const error = failure(() => loadConfig({ file: "missing.yaml", cwd: dir, env: {} }));

    expect(error.code).toBe("ARZ_ERR_CONFIG_NOT_FOUND");
    expect(error.message).toContain(join(dir, "missing.yaml"));
  });

  it("reject a top-level list", () => {
    const file = write("arizuko.yaml", "- web\n- route-table\n");
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.code).toBe("ARZ_ERR_CONFIG_UNREADABLE");
    expect(error.message).toContain(file);
  });

  it("reject broken YAML", () => {
    const file = write("arizuko.yaml", "http:\n  port: [8080\n");
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.code).toBe("ARZ_ERR_CONFIG_UNREADABLE");
    expect(error.message).toContain(file);
  });
});

describe("environment substitution", () => {
  it("replaces ${NAME}", () => {
    const file = write("arizuko.yaml", "data: ${STATE_DIR}/arizuko\nagent:\n  harness: ${HARNESS}\n");
    const { config } = loadConfig({ file, cwd: dir, env: { STATE_DIR: "/srv", HARNESS: "scripted" } });

    expect(config.data).toBe("/srv/arizuko");
    expect(config.agent.harness).toBe("scripted");
  });

  it("replaces inside lists and maps", () => {
    const file = write("arizuko.yaml", "plugins:\n  - use: web\n    config:\n      instance: ${WEB_INSTANCE}\n");
    const { config } = loadConfig({ file, cwd: dir, env: { WEB_INSTANCE: "office" } });

    expect(config.plugins).toEqual([{ use: "web", config: { instance: "office" } }]);
  });

  it("keeps $${NAME} literal", () => {
    const file = write("arizuko.yaml", 'agent:\n  options:\n    template: "$${NAME} and ${NAME}"\n');
    const { config } = loadConfig({ file, cwd: dir, env: { NAME: "value" } });

    expect(config.agent.options).toEqual({ template: "${NAME} and value" });
  });

  it("rejects a missing variable", () => {
    const file = write("arizuko.yaml", "data: ${ARIZUKO_TEST_UNSET}\n");
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.code).toBe("ARZ_ERR_CONFIG_ENV");
    expect(error.message).toContain(file);
    expect(error.message).toContain("ARIZUKO_TEST_UNSET");
  });

  it("takes the default of ${NAME:-default} only when NAME is unset", () => {
    const file = write("arizuko.yaml", "data: ${STATE_DIR:-/var/lib/arizuko}\nagent:\n  harness: ${HARNESS:-demo}\n  options:\n    empty: \"${BLANK:-}\"\n");
    const { config } = loadConfig({ file, cwd: dir, env: { HARNESS: "scripted" } });

    expect(config.data).toBe("/var/lib/arizuko");
    expect(config.agent.harness).toBe("scripted");
    expect(config.agent.options).toEqual({ empty: "" });
  });

  it("reads a secret from the file NAME_FILE names", () => {
    const secret = write("model-key.txt", "sk-from-a-file\n");
    const file = write("arizuko.yaml", "model:\n  apiKey: ${MODEL_KEY}\n");
    const { config } = loadConfig({ file, cwd: dir, env: { MODEL_KEY_FILE: secret } });

    expect(config.model.apiKey).toBe("sk-from-a-file");
    // The variable itself wins over its file.
    expect(loadConfig({ file, cwd: dir, env: { MODEL_KEY: "sk-direct", MODEL_KEY_FILE: secret } }).config.model.apiKey).toBe("sk-direct");
  });

  it("rejects a NAME_FILE that cannot be read", () => {
    const file = write("arizuko.yaml", "model:\n  apiKey: ${MODEL_KEY}\n");
    const missing = join(dir, "nowhere.txt");
    const error = failure(() => loadConfig({ file, cwd: dir, env: { MODEL_KEY_FILE: missing } }));

    expect(error.code).toBe("ARZ_ERR_CONFIG_ENV");
    expect(error.message).toContain(`config file ${file} uses \${MODEL_KEY}, and MODEL_KEY_FILE names ${missing}, which cannot be read (ENOENT`);
  });

  it("says how to give a missing variable", () => {
    const file = write("arizuko.yaml", "data: ${ARIZUKO_TEST_UNSET}\n");
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.message).toBe(
      `config file ${file} uses \${ARIZUKO_TEST_UNSET} but the environment variable ARIZUKO_TEST_UNSET is not set; set it, set ARIZUKO_TEST_UNSET_FILE to a file holding the value, or give a default with \${ARIZUKO_TEST_UNSET:-value}`,
    );
  });

  it("rejects a missing variable in JSON", () => {
    const file = write("arizuko.json", JSON.stringify({ agent: { harness: "${ARIZUKO_TEST_UNSET}" } }));
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.code).toBe("ARZ_ERR_CONFIG_ENV");
    expect(error.message).toContain("ARIZUKO_TEST_UNSET");
  });

  // Substitution runs on parsed strings and validation does not convert them, so `port: ${PORT}` is always a string.
  it("fills a number field", () => {
    const file = write("arizuko.yaml", "http:\n  port: ${PORT}\n");

    expect(loadConfig({ file, cwd: dir, env: { PORT: "9400" } }).config.http.port).toBe(9400);
  });
});

describe("config validation", () => {
  it("rejects an unknown top-level key", () => {
    const file = write("arizuko.yaml", "dta: ./state\n");
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.code).toBe("ARZ_ERR_CONFIG_INVALID");
    expect(error.message).toContain(file);
    expect(error.message).toContain('unknown field "dta"');
    expect(error.message).toContain("remove it or check its spelling");
  });

  it("rejects an unknown nested key", () => {
    const file = write("arizuko.yaml", "http:\n  prot: 9000\n");
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.message).toContain('http: unknown field "prot"; remove it or check its spelling');
  });

  it.each([
    ["a text port", "http:\n  port: eighty\n", 'http.port: expected integer, got "eighty"'],
    ["a text boolean", "insecure: sure\n", 'insecure: expected boolean, got "sure"'],
    ["a plugin mapping", "plugins: { web: true }\n", 'plugins: expected array, got {"web":true}'],
    ["a plugin with unknown keys", "plugins: [{ use: web, x: 1 }]\n", 'plugins[0]: expected a plugin name or path, or { use, config }, got {"use":"web","x":1}'],
    ["a port too high", "http:\n  port: 70000\n", "http.port: expected a number <= 65535, got 70000"],
    ["an unknown log level", "log:\n  level: loud\n", 'log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"'],
    ["an empty data path", 'data: ""\n', 'data: expected at least 1 characters, got ""'],
  ])("rejects %s", (_case, text, problem) => {
    const file = write("arizuko.yaml", text);
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.code).toBe("ARZ_ERR_CONFIG_INVALID");
    expect(error.message).toContain(problem);
  });

  it("reads a single plugin as a list", () => {
    const file = write("arizuko.yaml", "plugins: web\n");
    expect(loadConfig({ file, cwd: dir, env: {} }).config.plugins).toEqual(["web"]);
  });

  it("lists every problem", () => {
    const file = write("arizuko.yaml", "http:\n  port: eighty\ninsecure: sure\n");
    const error = failure(() => loadConfig({ file, cwd: dir, env: {} }));

    expect(error.message).toContain("http.port");
    expect(error.message).toContain("insecure");
  });
});

describe("config paths and overrides", () => {
  it("resolves data beside the file", () => {
    const file = write("conf/arizuko.yaml", "data: ./state\n");
    const resolved = loadConfig({ file, cwd: dir, env: {} });

    expect(resolved.baseDir).toBe(join(dir, "conf"));
    expect(resolved.dataDir).toBe(join(dir, "conf", "state"));
  });

  it("keeps an absolute data path", () => {
    const file = write("conf/arizuko.yaml", `data: ${join(dir, "absolute")}\n`);

    expect(loadConfig({ file, cwd: dir, env: {} }).dataDir).toBe(join(dir, "absolute"));
  });

  it("lets overrides win", () => {
    const file = write("conf/arizuko.yaml", "data: ./state\nhttp:\n  host: 127.0.0.1\n  port: 9000\n");
    const resolved = loadConfig({ file, cwd: dir, env: {}, overrides: { host: "localhost", port: 9500, data: "flag-data" } });

    expect(resolved.config.http).toEqual({ host: "localhost", port: 9500, trustProxy: false });
    expect(resolved.dataDir).toBe(join(dir, "flag-data"));
  });

  it("applies overrides to defaults", () => {
    const resolved = loadConfig({ cwd: dir, env: {}, overrides: { port: 0, insecure: true } });

    expect(resolved.config.http.port).toBe(0);
    expect(resolved.config.insecure).toBe(true);
  });
});

describe("config errors with secrets", () => {
  it("name the field but never print its value", async () => {
    const { validate } = await import("../src/config/validate.js");
    const schema = { type: "object", properties: { bots: { type: "array", items: { type: "object", properties: { token: { type: "string", pattern: "^[0-9]+:[A-Za-z0-9_-]+$", description: "a BotFather token <bot id>:<secret>" } } } } } };

    const { problems } = validate(schema, { bots: [{ token: "600000001:AAtopSECRETvalue " }] }, "plugins[1].config");
    expect(problems).toEqual(["plugins[1].config.bots[0].token: expected a BotFather token <bot id>:<secret>, got a hidden value of 27 characters"]);
  });
});
