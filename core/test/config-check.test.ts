/**
 * `arizuko config check` through the real binary: a valid file, and a file with an
 * unknown key, a wrong type, a missing secret, a bad plugin setting and a plugin that
 * is not installed, each named with its exact message.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers/instance.js";

const BINARY = fileURLToPath(new URL("../bin/arizuko.js", import.meta.url));

async function check(yaml: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; file: string }> {
  const cwd = tempDir();
  const file = join(cwd, "arizuko.yaml");
  writeFileSync(file, yaml);
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BINARY, "config", "check"], { cwd, env: { PATH: process.env.PATH, ...env } });
    return { code: 0, stdout, stderr, file };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr, file };
  }
}

describe("arizuko config check", () => {
  it("passes a valid file and names its plugins", async () => {
    const result = await check("http:\n  port: \"${PORT:-8080}\"\nplugins:\n  - web\n  - use: scheduler\n    config:\n      catchUp: skip\n");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${result.file} is valid; plugins: web, scheduler\n`);
  });

  it("lists every problem of the core and the plugins at once", async () => {
    const result = await check("http:\n  port: \"abc\"\n  bogus: 1\nplugins:\n  - web\n  - not-installed\n  - use: scheduler\n    config:\n      catchUp: never\n");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        `${result.file} is not valid:`,
        `invalid config in ${result.file}:`,
        '  - http: unknown field "bogus"; remove it or check its spelling',
        '  - http.port: expected integer, got "abc"',
        "invalid config in the plugins list:",
        '  - plugin scheduler: plugins[2].config.catchUp: expected one of "once", "skip", got "never"',
        'plugin not-installed: plugin "not-installed" not found (tried @arizuko/plugin-not-installed, arizuko-plugin-not-installed, not-installed); install the package or fix the path in the config',
        "",
      ].join("\n"),
    );
  });

  it("names a missing secret and the ways to give it", async () => {
    const result = await check("model:\n  apiKey: ${MODEL_API_KEY}\n");
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `config file ${result.file} uses \${MODEL_API_KEY} but the environment variable MODEL_API_KEY is not set; ` +
        "set it, set MODEL_API_KEY_FILE to a file holding the value, or give a default with ${MODEL_API_KEY:-value}\n",
    );
    expect((await check("model:\n  apiKey: ${MODEL_API_KEY}\n", { MODEL_API_KEY: "sk-test" })).code).toBe(0);
  });
});
