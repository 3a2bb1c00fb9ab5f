import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HOOK_CATALOG, HOOK_NAMES } from "../src/hooks/catalog.js";

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

  it("describes every core table", () => {
    const doc = read("docs/architecture.md");
    const schema = read("migrations/0001_initial.sql");
    const tables = [...schema.matchAll(/CREATE TABLE (\w+)/g)].map((match) => match[1]!);
    expect(tables.length).toBeGreaterThan(5);
    for (const table of [...tables, "arizuko_migrations"]) expect(doc, table).toContain(`| \`${table}\` |`);
  });
});
