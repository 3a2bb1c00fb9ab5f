import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOOK_CATALOG, HOOK_NAMES } from "../src/hooks/catalog.js";
import { startInstance } from "./helpers/instance.js";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

describe("docs match the code", () => {
  it("lists every hook with its kind and timeout", () => {
    const doc = read("docs/plugins.md");
    for (const name of HOOK_NAMES) {
      const { kind, timeoutMs } = HOOK_CATALOG[name];
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, `docs/plugins.md has no row for ${name}`).toBeDefined();
      expect(row, `${name} row`).toContain(`| ${kind} | ${timeoutMs / 1000} s |`);
    }
  });

  it("documents every run protocol frame", () => {
    const doc = read("docs/agent-protocol.md");
    for (const frame of ["hello", "run", "steer", "stop", "delta", "message", "session", "usage", "done", "error"]) {
      expect(doc, frame).toContain(`\`${frame}\``);
    }
  });

  it("documents every tool the core and first-party plugins register, with each param", async () => {
    const doc = read("docs/mcp-tools.md");
    const instance = await startInstance();
    try {
      const tools = instance.kernel.registries.tools.values();
      expect(tools.length).toBeGreaterThanOrEqual(20);
      for (const tool of tools) {
        const start = doc.indexOf(`### \`${tool.name}\``);
        expect(start, `docs/mcp-tools.md has no section for ${tool.name}`).toBeGreaterThanOrEqual(0);
        const section = doc.slice(start, doc.indexOf("\n#", start + 1));
        const params = Object.keys((tool.inputSchema as { properties?: Record<string, unknown> }).properties ?? {});
        if (params.length === 0) expect(section, tool.name).toContain("No params.");
        for (const param of params) expect(section, `${tool.name} param ${param}`).toContain(`| \`${param}\` |`);
      }
    } finally {
      await instance.dispose();
    }
  });

  it("describes every core table", () => {
    const doc = read("docs/architecture.md");
    const schema = ["0001_initial", "0002_routing", "0003_grants", "0004_tools"].map((name) => read(`migrations/${name}.sql`)).join("\n");
    const tables = [...schema.matchAll(/CREATE TABLE (\w+)/g)].map((match) => match[1]!);
    expect(tables.length).toBeGreaterThan(5);
    for (const table of [...tables, "arizuko_migrations"]) expect(doc, table).toContain(`| \`${table}\` |`);
  });
});
