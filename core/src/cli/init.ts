/**
 * `arizuko init`: writes a commented config for the plugins a user picks, then creates
 * the data folder with its database, the `main` group and the first operator account,
 * and prints the account's generated password once and the command that starts arizuko.
 * It runs before any host boots, since there is no config yet. On a terminal it asks
 * for what the flags leave out; elsewhere, or with --yes, it takes the defaults.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { Command, CommanderError } from "commander";
import type { JsonSchema } from "@arizuko/sdk";
import pino from "pino";
import { USERNAME_PATTERN } from "../auth/users.js";
import { SHIPPED_PLUGINS } from "../config/json-schema.js";
import { CONFIG_FILE_NAMES, loadConfig } from "../config/load.js";
import { DEFAULT_DATA, DEFAULT_PLUGINS } from "../config/schema.js";
import { configTemplate, type Template, type TemplatePlugin } from "../config/template.js";
import { errors } from "../errors.js";
import { SEEDED_GROUP } from "../groups/groups.js";
import { Kernel } from "../kernel.js";
import { createLogger } from "../log.js";
import { importDefinition } from "../plugins/loader.js";
import { askInit, type InitAnswers } from "./init-prompt.js";
import { runningInstance } from "./lock.js";
import { PROGRAM_NAME } from "./program.js";

export interface InitStreams {
  input: Readable;
  output: Writable;
  /** Whether to ask questions: true on a terminal. */
  interactive: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

interface InitOptions {
  plugins?: string[];
  operator?: string;
  port?: number;
  force: boolean;
  yes: boolean;
}

const DEFAULT_OPERATOR = "admin";
const DEFAULT_PORT = 8080;

/** Parses init's own flags; returns the help text instead when --help was given. */
function parseInit(argv: string[]): InitOptions | { help: string } {
  let help = "";
  const program = new Command(`${PROGRAM_NAME} init`)
    .description("write a commented config, create the data folder, the main group and the first operator")
    .option("--plugins <names>", `comma-separated plugins to load (default: ${DEFAULT_PLUGINS.join(",")})`)
    .option("--operator <username>", `username of the first operator (default: ${DEFAULT_OPERATOR})`)
    .option("--port <port>", `port the config sets (default: ${DEFAULT_PORT})`)
    .option("--force", "replace an existing config file; the data folder and its users are kept")
    .option("-y, --yes", "ask nothing: take the defaults for what the flags leave out")
    .addHelpText("after", "\nGlobal options: --config FILE (default: ./arizuko.yaml) is the file written, --data DIR the data folder (default: data beside it).")
    .exitOverride()
    .configureOutput({ writeOut: (text) => (help += text), writeErr: (text) => process.stderr.write(text) });
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return { help };
    throw error;
  }

  const options = program.opts<{ plugins?: string; operator?: string; port?: string; force?: boolean; yes?: boolean }>();
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && (!/^\d+$/.test(options.port!) || port > 65535)) {
    throw errors.cliUsage(`--port must be a whole number from 0 to 65535, got ${JSON.stringify(options.port)}`);
  }
  const plugins = options.plugins?.split(",").map((name) => name.trim()).filter(Boolean);
  return { plugins, operator: options.operator, port, force: options.force === true, yes: options.yes === true };
}

function operatorProblem(name: string): string | null {
  if (USERNAME_PATTERN.test(name)) return null;
  return `invalid username ${JSON.stringify(name)}: use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`;
}

/** Rejects an existing config: the named file, or without --config any file start would read from this folder. */
function checkTarget(file: string, explicit: boolean, cwd: string, force: boolean): void {
  if (force) return;
  const candidates = explicit ? [file] : CONFIG_FILE_NAMES.map((name) => join(cwd, name));
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found !== undefined) throw errors.initConfigExists(found);
}

async function templatePlugins(names: string[], baseDir: string): Promise<TemplatePlugin[]> {
  const plugins: TemplatePlugin[] = [];
  for (const name of names) {
    const { definition } = await importDefinition(name, baseDir);
    plugins.push({ name, description: definition.description, configSchema: definition.configSchema as JsonSchema | undefined });
  }
  return plugins;
}

/** Asks for what the flags leave out when interactive; otherwise fills in the defaults. */
async function answersFor(options: InitOptions, streams: InitStreams): Promise<InitAnswers> {
  const defaults = { plugins: options.plugins ?? DEFAULT_PLUGINS, operator: options.operator ?? DEFAULT_OPERATOR, port: options.port ?? DEFAULT_PORT };
  if (!streams.interactive || options.yes) return defaults;

  // Importing every plugin (discord.js, Baileys, …) takes a few seconds.
  streams.output.write("Reading the plugins arizuko ships…\n");
  const choices = [];
  for (const name of SHIPPED_PLUGINS) {
    const { definition } = await importDefinition(name, streams.cwd ?? process.cwd());
    choices.push({ name, description: definition.description ?? "" });
  }
  const ask = { plugins: options.plugins === undefined, operator: options.operator === undefined, port: options.port === undefined };
  return askInit({ choices, defaults, ask, checkOperator: operatorProblem }, streams);
}

/** Opens the store as start would (migrations, the `main` group), then adds the operator unless the name is taken. */
async function setUpData(file: string, operator: string, env: NodeJS.ProcessEnv, print: (text: string) => void): Promise<void> {
  const resolved = loadConfig({ file, env });
  const log = createLogger("warn", pino.destination({ dest: 2, sync: true }));
  const kernel = await Kernel.boot(resolved, "offline", log);
  try {
    const group = kernel.groups.exists(SEEDED_GROUP) ? `group ${SEEDED_GROUP} at ${kernel.groups.path(SEEDED_GROUP)}` : `no group ${SEEDED_GROUP} (removed earlier; \`arizuko group add ${SEEDED_GROUP}\` makes it again)`;
    print(`data folder ${resolved.dataDir}: database up to date, ${group}\n`);

    const existing = kernel.auth.users.byName(operator);
    if (existing) {
      const role = existing.role === "operator" ? "an operator" : `a ${existing.role} (\`arizuko user role ${existing.username} operator\` makes them an operator)`;
      print(`user ${existing.username} already exists as ${role}; kept with its password (\`arizuko user passwd ${existing.username}\` gives a new one)\n`);
      return;
    }
    const added = await kernel.runCli(["user", "add", operator, "--operator"]);
    if (added.exitCode !== 0) throw errors.cliUsage(added.stderr.trim() || `adding the operator ${operator} failed`);
    print(added.stdout);
  } finally {
    await kernel.stop("init finished");
  }
}

function nextSteps(template: Template, file: string, cwd: string, answers: InitAnswers): string {
  const lines: string[] = [];
  for (const { plugin, variables } of template.pending) {
    lines.push(`${plugin} is commented out in the config until ${variables.join(" and ")} ${variables.length > 1 ? "are" : "is"} set; the lines above its entry say how to load it`);
  }
  if (template.variables.length > 0) lines.push(`start needs these environment variables set: ${template.variables.join(", ")}`);
  const configFlag = file === join(cwd, "arizuko.yaml") ? "" : ` --config ${relative(cwd, file)}`;
  const url = `http://127.0.0.1:${answers.port === 0 ? "PORT" : answers.port}`;
  const chat = answers.plugins.includes("web") ? `, then open ${url}/ and sign in as ${answers.operator}` : "";
  const dashboard = answers.plugins.includes("dashboard") ? ` (the dashboard is at ${url}/dash)` : "";
  lines.push(`next: npx arizuko start${configFlag}${chat}${dashboard}`);
  return lines.join("\n") + "\n";
}

/** Runs `arizuko init ARGV`; `globals` are the --config and --data options taken from anywhere in the command line. */
export async function init(argv: string[], globals: { config?: string; data?: string }, streams: InitStreams): Promise<number> {
  const parsed = parseInit(argv);
  if ("help" in parsed) {
    streams.output.write(parsed.help);
    return 0;
  }
  const cwd = streams.cwd ?? process.cwd();
  const env = streams.env ?? process.env;
  const print = (text: string) => void streams.output.write(text);

  // 1. Every check that needs no answer runs before any question.
  const file = resolve(cwd, globals.config ?? "arizuko.yaml");
  // The file is YAML with comments, which JSON has not.
  if (!/\.ya?ml$/.test(file)) throw errors.cliUsage(`arizuko init writes YAML, so --config must name a .yaml or .yml file, not ${file}`);
  checkTarget(file, globals.config !== undefined, cwd, parsed.force);
  const unknown = (parsed.plugins ?? []).filter((name) => !SHIPPED_PLUGINS.includes(name));
  if (unknown.length > 0) throw errors.initUnknownPlugins(unknown, SHIPPED_PLUGINS);
  if (parsed.operator !== undefined && operatorProblem(parsed.operator)) throw errors.cliUsage(operatorProblem(parsed.operator)!);
  const configDir = dirname(file);
  const dataDir = globals.data !== undefined ? resolve(cwd, globals.data) : resolve(configDir, DEFAULT_DATA);
  const pid = await runningInstance(dataDir);
  if (pid !== null) throw errors.instanceRunning(dataDir, pid);

  // 2. Questions, on a terminal.
  const answers = await answersFor(parsed, streams);

  // 3. The file. The data folder is written relative to it, as the config reads it.
  const values: Record<string, unknown> = {};
  const dataPath = relative(configDir, dataDir) || ".";
  if (globals.data !== undefined) values.data = dataPath.startsWith("..") || dataPath.startsWith("/") ? dataPath : `./${dataPath}`;
  if (answers.port !== DEFAULT_PORT) values["http.port"] = answers.port;
  const template = configTemplate({ plugins: await templatePlugins(answers.plugins, configDir), values, env, now: new Date() });
  mkdirSync(configDir, { recursive: true });
  writeFileSync(file, template.text);
  print(`wrote ${file} (plugins: ${answers.plugins.join(", ")})\n`);

  // 4. The data folder, the main group and the operator.
  await setUpData(file, answers.operator, env, print);
  print(nextSteps(template, file, cwd, answers));
  return 0;
}
