/**
 * The config reference, docs/config.md, written from the same JSON Schema that
 * `arizuko config schema` prints, so the page never drifts from what start-up accepts.
 * A test compares the file with this output; `npm run docs:config` rewrites it.
 */
import type { JsonSchema } from "@arizuko/sdk";

interface Row {
  path: string;
  type: string;
  default: string;
  notes: string;
}

/** Writes a schema's type in words: `integer 1 to 65535`, `"once" or "skip"`, `list of string`. */
export function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((value) => JSON.stringify(value)).join(", ");
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeOf).join(" or ");
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : String(schema.type ?? "any");
  if (type === "array") return `list of ${typeOf((schema.items ?? {}) as JsonSchema)}`;
  if (schema.minimum !== undefined && schema.maximum !== undefined) return `${type} ${schema.minimum} to ${schema.maximum}`;
  if (schema.minimum !== undefined) return `${type} ≥ ${schema.minimum}`;
  return type;
}

/** Joins a setting's description, pattern and map form into one note; `arizuko init` reuses it for the comments it writes. */
export function notesOf(schema: JsonSchema): string {
  const notes: string[] = [];
  if (typeof schema.description === "string") notes.push(schema.description);
  if (typeof schema.pattern === "string") notes.push(`matches \`${schema.pattern}\``);
  const values = schema.additionalProperties;
  if (values && typeof values === "object") notes.push((values as JsonSchema).properties ? "a map; each entry's fields follow" : `a map of ${typeOf(values as JsonSchema)}`);
  return notes.join("; ");
}

/** Escapes a table cell: pipes end cells, and `<bot id>` would read as an HTML tag. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Lists every setting below `schema`, parents before their fields. */
function rows(schema: JsonSchema, path: string, required: string[] = []): Row[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).flatMap(([name, field]) => {
    const fieldPath = path ? `${path}.${name}` : name;
    const nested = field.type === "object" && field.properties;
    let fallback = field.default === undefined ? "" : `\`${JSON.stringify(field.default)}\``;
    if (field.default === undefined && required.includes(name)) fallback = "required";
    const row = { path: fieldPath, type: nested ? "section" : typeOf(field), default: nested ? "" : fallback, notes: notesOf(field) };
    if (nested) return [row, ...rows(field, fieldPath, (field.required ?? []) as string[])];
    // A map's entries (agent.groups, admission) have fields of their own, listed under `<name>`.
    const entry = field.additionalProperties as JsonSchema | undefined;
    if (entry && typeof entry === "object" && entry.properties) return [row, ...rows(entry, `${fieldPath}.<name>`, (entry.required ?? []) as string[])];
    // A list of objects (telegram's bots) has the fields of each item under `[]`.
    const item = field.items as JsonSchema | undefined;
    if (field.type === "array" && item?.properties) return [row, ...rows(item, `${fieldPath}[]`, (item.required ?? []) as string[])];
    return [row];
  });
}

function table(schema: JsonSchema): string {
  const lines = rows(schema, "", (schema.required ?? []) as string[]).map((row) => `| \`${row.path}\` | ${cell(row.type)} | ${row.default.replaceAll("|", "\\|")} | ${cell(row.notes)} |`);
  if (lines.length === 0) return "No settings.\n";
  return ["| setting | type | default | notes |", "| --- | --- | --- | --- |", ...lines].join("\n") + "\n";
}

/** Renders the reference page from the whole-config schema. */
export function configReference(schema: JsonSchema): string {
  const properties = schema.properties as Record<string, JsonSchema>;
  const core = { ...schema, properties: Object.fromEntries(Object.entries(properties).filter(([name]) => name !== "plugins")) };
  const forms = ((properties.plugins!.items as JsonSchema).anyOf as JsonSchema[]).filter((form) => {
    const use = (form.properties as Record<string, JsonSchema> | undefined)?.use;
    return Array.isArray(use?.enum);
  });

  const sections = forms.map((form) => {
    const formProperties = form.properties as Record<string, JsonSchema>;
    const name = (formProperties.use!.enum as string[])[0]!;
    return `### ${name}\n\n${table(formProperties.config!)}`;
  });

  return [
    "# Config reference",
    "",
    "Generated from the config schema by `npm run docs:config`; do not edit by hand. Every",
    "setting has the default shown. `arizuko config check` validates a file against the same",
    "schema, and `arizuko config schema` prints it for editors. How to write the file",
    "(environment variables, secrets from files) is in the README; `arizuko init` writes a",
    "first file with the settings of the plugins you pick as comments.",
    "",
    "## Core",
    "",
    table(core),
    "## Plugins",
    "",
    "`plugins` lists plugin names, paths or `{ use, config }` entries; omitted, the defaults",
    `load: ${JSON.stringify(properties.plugins!.default)}. A list replaces them. The settings of each`,
    "plugin that ships with arizuko, under `config` of its entry:",
    "",
    sections.join("\n"),
  ].join("\n");
}
