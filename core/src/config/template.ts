/**
 * The commented config file `arizuko init` writes: a header, the core settings people
 * change first, and one entry per chosen plugin with every setting of its schema as a
 * comment giving its type, notes and default. Settings a plugin requires are written as
 * `${NAME}` environment references, never as values, and a plugin whose variables are
 * unset is written commented out, so the file passes `arizuko config check` as written.
 */
import type { JsonSchema } from "@arizuko/sdk";
import { stringify } from "yaml";
import { notesOf, typeOf } from "./reference.js";
import { ConfigSchema } from "./schema.js";

export interface TemplatePlugin {
  /** The short name the entry uses, e.g. `telegram`. */
  name: string;
  description?: string;
  configSchema?: JsonSchema;
}

export interface TemplateInput {
  plugins: TemplatePlugin[];
  /** Core settings written as values instead of comments, by dotted path (`http.port`). */
  values: Record<string, unknown>;
  /** The environment `arizuko start` will see; decides which plugins are written commented out. */
  env: NodeJS.ProcessEnv;
  now: Date;
}

export interface Template {
  text: string;
  /** Plugins written commented out, with the environment variables they need. */
  pending: Array<{ plugin: string; variables: string[] }>;
  /** Environment variables the loaded entries read. */
  variables: string[];
}

/** The core settings the file shows, with the note written above each. */
const CORE_NOTES: Record<string, string> = {
  data: "the data folder (database, group folders, admin socket), relative to this file",
  "http.host": "address to listen on; any other than loopback needs an account or --insecure",
  "http.port": "port to listen on; 0 picks a free one",
  "runner.kind": "process: agents run as child processes (development); docker: in hardened containers",
  "agent.harness": "demo answers without a model; openai and claude use the model below",
  "model.api": "the API the model endpoint speaks",
  "model.baseUrl": "base URL ending in the API version, e.g. http://127.0.0.1:11434/v1",
  "model.apiKey": "the endpoint's key; it stays in arizuko and never reaches an agent",
  "model.models": "models agents may use; the first is the default",
  "log.level": "the lowest level of messages logged",
};

/** Shipped plugins whose platform, named as the plugin, admits nobody until `admission` lists it. */
const GATED_PLATFORMS = ["telegram", "discord", "whatsapp"];

/** Names that hold secrets: their placeholders are environment references. */
const SECRET_NAME = /token|secret|password|key$/i;

const WRAP_COLUMNS = 88;

interface Line {
  indent: number;
  text: string;
  comment: boolean;
}

/** State of one walk over a schema: the references written, and the name they start with. */
interface Walk {
  /** The plugin's name; for the core, the section's (`model`), so `model.apiKey` reads `MODEL_API_KEY`. */
  prefix: string;
  path: string;
  values: Record<string, unknown>;
  variables: string[];
}

/** `http-channel` and `authKey` → `HTTP_CHANNEL_AUTH_KEY`. */
function envName(prefix: string, field: string): string {
  const snake = (text: string) => text.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
  return [prefix, field].filter(Boolean).map(snake).join("_");
}

function yamlValue(value: unknown): string {
  return stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trimEnd();
}

/** Splits a note into comment lines of at most WRAP_COLUMNS characters, counting the indent. */
function noteLines(text: string, indent: number): Line[] {
  const width = Math.max(40, WRAP_COLUMNS - indent - 2);
  const lines: Line[] = [];
  let current = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (current && current.length + 1 + word.length > width) {
      lines.push({ indent, text: current, comment: true });
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push({ indent, text: current, comment: true });
  return lines;
}

/** Writes what a setting is: its notes, then its type in brackets (`port to listen on (integer 0 to 65535)`). */
function noteOf(field: JsonSchema, required: boolean): string {
  const notes = notesOf(field);
  const nested = field.type === "object" && field.properties;
  const type = (nested ? "section" : typeOf(field)) + (required && field.default === undefined ? ", required" : "");
  return notes ? `${notes} (${type})` : type;
}

/** Renders the item of a required list of objects: its required fields set, the rest as comments. */
function listItemLines(item: JsonSchema, indent: number, walk: Walk): Line[] {
  const fields = propertyLines(item, indent + 2, walk, true);
  const first = fields.findIndex((line) => !line.comment);
  return fields.map((line, index) => {
    if (index < first) return { ...line, indent };
    if (index === first) return { indent, text: `- ${line.text}`, comment: false };
    return line;
  });
}

/** Renders one setting and, for a section or a list of objects, what it contains. */
function settingLines(name: string, field: JsonSchema, indent: number, walk: Walk, required: boolean, active: boolean): Line[] {
  const path = walk.path ? `${walk.path}.${name}` : name;
  const notes = noteLines(noteOf(field, required), indent);
  const child = { ...walk, path, prefix: walk.prefix || path };
  // A required setting is written out only where its parent is.
  const written = required && active;

  if (field.type === "object" && field.properties) {
    const inner = propertyLines(field, indent + 2, child, written);
    const anyWritten = inner.some((line) => !line.comment);
    // A note of only "section" would repeat what the indented lines below show.
    const about = notesOf(field) ? notes : [];
    return [...about, { indent, text: `${name}:`, comment: !anyWritten }, ...inner];
  }

  const item = field.items as JsonSchema | undefined;
  const entry = written && field.type === "array" && item?.properties ? listItemLines(item, indent + 2, child) : [];
  if (entry.some((line) => !line.comment)) return [...notes, { indent, text: `${name}:`, comment: false }, ...entry];
  // A required list whose items need nothing starts empty, its item's fields shown below as comments.
  if (entry.length > 0) return [...notes, { indent, text: `${name}: []`, comment: false }, ...entry.map((line) => ({ ...line, comment: true }))];

  if (path in walk.values) return [...notes, { indent, text: `${name}: ${yamlValue(walk.values[path])}`, comment: false }];

  const reference = `\${${envName(walk.prefix, name)}}`;
  if (written && field.default === undefined) {
    walk.variables.push(envName(walk.prefix, name));
    return [...notes, { indent, text: `${name}: ${reference}`, comment: false }];
  }

  let placeholder = field.default === undefined ? "" : ` ${yamlValue(field.default)}`;
  if (SECRET_NAME.test(name) && (field.default === undefined || field.default === null || field.default === "")) placeholder = ` ${reference}`;
  return [...notes, { indent, text: `${name}:${placeholder}`, comment: true }];
}

/**
 * Renders the properties of an object schema at `indent`. Inside an active parent, a
 * required setting is written out; everything else is a comment showing its default.
 */
function propertyLines(schema: JsonSchema, indent: number, walk: Walk, active: boolean): Line[] {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).flatMap(([name, field]) => settingLines(name, field, indent, walk, required.has(name), active));
}

function render(lines: Line[]): string[] {
  return lines.map((line) => " ".repeat(line.indent) + (line.comment ? `# ${line.text}` : line.text));
}

/** Picks the shown core settings out of the config schema, with their notes as descriptions. */
function coreSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const all = ConfigSchema.properties as Record<string, JsonSchema>;
  for (const [path, description] of Object.entries(CORE_NOTES)) {
    const [top, field] = path.split(".") as [string, string | undefined];
    if (field === undefined) {
      properties[top] = { ...all[top], description };
      continue;
    }
    const section = (properties[top] ??= { type: "object", properties: {} });
    const fields = all[top]!.properties as Record<string, JsonSchema>;
    (section.properties as Record<string, JsonSchema>)[field] = { ...fields[field], description };
  }
  return { type: "object", properties };
}

function isSet(env: NodeJS.ProcessEnv, name: string): boolean {
  return env[name] !== undefined || env[`${name}_FILE`] !== undefined;
}

/** Renders one plugin's entry in the `plugins` list. */
function pluginLines(plugin: TemplatePlugin, env: NodeJS.ProcessEnv): { lines: string[]; variables: string[]; missing: string[] } {
  const about = noteLines(`${plugin.name}: ${plugin.description ?? "(no description)"}`, 2);
  const schema = plugin.configSchema;
  if (!schema || Object.keys((schema.properties ?? {}) as object).length === 0) {
    return { lines: [...render(about), `  - ${plugin.name}`], variables: [], missing: [] };
  }

  const walk: Walk = { prefix: plugin.name, path: "", values: {}, variables: [] };
  const settings = propertyLines(schema, 6, walk, true);
  const active = settings.some((line) => !line.comment);
  const entry = render([{ indent: 2, text: `- use: ${plugin.name}`, comment: false }, { indent: 4, text: "config:", comment: !active }, ...settings]);
  const missing = walk.variables.filter((name) => !isSet(env, name));
  if (missing.length === 0) return { lines: [...render(about), ...entry], variables: walk.variables, missing };

  // Loaded without its variables the entry would fail `config check`, so it is written as comments under a note naming them.
  const files = missing.length > 1 ? "files that contain them" : "a file that contains it";
  const instruction = noteLines(`To load ${plugin.name}, set ${missing.join(" and ")} in the environment (or ${missing.map((name) => `${name}_FILE`).join(" and ")} naming ${files}), then remove the first "# " of each line of the entry below.`, 2);
  const commented = entry.map((line) => `  # ${line.slice(2)}`);
  return { lines: [...render(about), ...render(instruction), ...commented], variables: walk.variables, missing };
}

/** Suggests, as comments, pairing for the chosen platforms that admit nobody by default. */
function admissionLines(plugins: TemplatePlugin[]): string[] {
  const platforms = plugins.map((plugin) => plugin.name).filter((name) => GATED_PLATFORMS.includes(name));
  if (platforms.length === 0) return [];
  return [
    "",
    "# Who may start runs on each platform. Without an entry the web chat is open and every",
    "# other platform admits nobody. Under pairing a stranger is sent a code that an operator",
    "# approves with `npx arizuko pair approve CODE`; docs/routing.md has the other policies.",
    "# admission:",
    ...platforms.map((name) => `#   ${name}: { policy: pairing }`),
  ];
}

/** Writes the whole file. */
export function configTemplate(input: TemplateInput): Template {
  const header = [
    `# arizuko config, written by \`arizuko init\` on ${input.now.toISOString().slice(0, 10)}.`,
    "#",
    "# Every setting has a default. A commented line shows a setting with its default: remove",
    '# its "# " (and that of the section above it) to change it. docs/config.md in arizuko\'s',
    "# repository lists every setting; `npx arizuko config schema` prints them as a JSON Schema",
    "# for editors, and `npx arizuko config check` checks this file.",
    "# ${NAME} reads the environment variable NAME, or the file that NAME_FILE names.",
    "",
  ];

  const coreWalk: Walk = { prefix: "", path: "", values: input.values, variables: [] };
  const coreSettings = Object.entries(coreSchema().properties as Record<string, JsonSchema>);
  // A blank line between the top-level settings.
  const core = coreSettings.flatMap(([name, field], index) => [...(index > 0 ? [""] : []), ...render(settingLines(name, field, 0, coreWalk, false, false))]);

  const pending: Template["pending"] = [];
  const variables: string[] = [];
  const entries: string[] = [];
  for (const plugin of input.plugins) {
    const result = pluginLines(plugin, input.env);
    entries.push(...result.lines);
    if (result.missing.length > 0) pending.push({ plugin: plugin.name, variables: result.missing });
    else variables.push(...result.variables);
  }

  const plugins = [
    "",
    "# The plugins to load, in this order; a plugin left out is off. The settings of each are",
    "# under `config` of its entry.",
    "plugins:",
    ...entries,
  ];
  return { text: [...header, ...core, ...admissionLines(input.plugins), ...plugins].join("\n") + "\n", pending, variables };
}
