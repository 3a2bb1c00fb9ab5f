// Writes docs/config.md from the config schema (core settings and every shipped
// plugin's). Run with `npm run docs:config` after changing a schema; a test fails while
// the page and the schema differ.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { configJsonSchema, configReference } from "@arizuko/core";

const root = fileURLToPath(new URL("..", import.meta.url));
const { schema, skipped } = await configJsonSchema([], root);
if (skipped.length > 0) throw new Error(`cannot import ${skipped.join(", ")}; run npm ci first`);
writeFileSync(new URL("../docs/config.md", import.meta.url), configReference(schema));
process.stdout.write("wrote docs/config.md\n");
