/** docs/config.md is generated from the config schema; this fails as soon as they differ. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../src/config/json-schema.js";
import { configReference } from "../src/config/reference.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("docs/config.md", () => {
  it("matches the config schema", async () => {
    const { schema, skipped } = await configJsonSchema([], ROOT);
    expect(skipped).toEqual([]);
    const page = readFileSync(new URL("docs/config.md", `file://${ROOT}`), "utf8");
    expect(page, "docs/config.md is out of date: run `npm run docs:config`").toBe(configReference(schema));
    expect(page).toContain("| `catchUp` |");
    expect(page).toContain("| `bots[].token` |");
  });
});
