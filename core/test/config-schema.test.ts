/**
 * `arizuko config schema` through the real binary: a JSON Schema that a standard
 * validator (Ajv) accepts, which takes a valid config and rejects wrong core settings,
 * wrong plugin settings and unknown keys, including those of a local plugin the config
 * names.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Ajv } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/instance.js";

const BINARY = fileURLToPath(new URL("../bin/arizuko.js", import.meta.url));
const SDK = fileURLToPath(new URL("../../sdk/dist/index.js", import.meta.url));

let validate: ReturnType<Ajv["compile"]>;
let stderr: string;

beforeAll(async () => {
  const cwd = tempDir();
  writeFileSync(
    join(cwd, "greeter.mjs"),
    `import { definePlugin, HOST_API_VERSION } from ${JSON.stringify(SDK)};
export default definePlugin({ name: "greeter", version: "1.0.0", apiVersion: HOST_API_VERSION,
  configSchema: { type: "object", additionalProperties: false, properties: { greeting: { type: "string", minLength: 1 } }, required: ["greeting"] },
  register() {} });
`,
  );
  writeFileSync(join(cwd, "arizuko.yaml"), "plugins:\n  - web\n  - use: ./greeter.mjs\n    config:\n      greeting: hi\n");
  const result = await promisify(execFile)(process.execPath, [BINARY, "config", "schema"], { cwd });
  stderr = result.stderr;
  const schema = JSON.parse(result.stdout);
  const ajv = new Ajv({ allErrors: true, strict: false });
  expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
  validate = ajv.compile(schema);
}, 60_000);

function errorsOf(config: unknown): string[] {
  return validate(config) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

describe("arizuko config schema", () => {
  it("accepts the configs the docs show", () => {
    expect(errorsOf({})).toEqual([]);
    expect(errorsOf({ data: "./data", http: { host: "127.0.0.1", port: 8080 }, agent: { harness: "demo" } })).toEqual([]);
    expect(errorsOf({ plugins: ["web", "route-table", "dashboard", { use: "scheduler", config: { catchUp: "skip", lateAfterMs: 120000 } }] })).toEqual([]);
    expect(errorsOf({ plugins: [{ use: "./greeter.mjs", config: { greeting: "hello" } }] })).toEqual([]);
    expect(stderr).toBe("");
  });

  it("rejects wrong core settings and unknown keys", () => {
    expect(errorsOf({ http: { port: "eighty" } })).toContain("/http/port must be integer");
    expect(errorsOf({ http: { bogus: 1 } })).toContain("/http must NOT have additional properties");
    expect(errorsOf({ nonsense: true })).toContain(" must NOT have additional properties");
  });

  it("checks each plugin's settings by its own schema", () => {
    expect(validate({ plugins: [{ use: "scheduler", config: { catchUp: "never" } }] })).toBe(false);
    expect(validate({ plugins: [{ use: "scheduler", config: { unknown: 1 } }] })).toBe(false);
    expect(validate({ plugins: [{ use: "./greeter.mjs", config: {} }] })).toBe(false);
    expect(validate({ plugins: [{ use: "greeter", config: { greeting: "" } }] })).toBe(false);
    // A plugin the schema does not know may take any settings.
    expect(validate({ plugins: [{ use: "arizuko-plugin-elsewhere", config: { anything: 1 } }] })).toBe(true);
  });
});
