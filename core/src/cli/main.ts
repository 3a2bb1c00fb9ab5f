/**
 * The `arizuko` command. `start` runs the instance in this process; every other
 * command runs inside a host: the running instance's, through its admin socket, or,
 * when none runs on the data folder, one booted just for the command.
 */
import { readFileSync } from "node:fs";
import { constants } from "node:os";
import { resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { isArizukoError } from "@arizuko/sdk";
import pino from "pino";
import { dataDirOf, loadConfig, type ConfigOverrides } from "../config/load.js";
import { describe, errors } from "../errors.js";
import { isLoopback } from "../http/server.js";
import { Kernel } from "../kernel.js";
import { createLogger, logDestination } from "../log.js";
import { secretValues } from "../secrets.js";
import { sendAdminCommand } from "./admin-socket.js";
import { formatPlan, pendingMigrations } from "./migrate-plan.js";
import { checkConfig } from "../config/check.js";
import { schemaOutput } from "../config/json-schema.js";
import { doctor, formatFindings } from "./doctor.js";
import { init } from "./init.js";
import { acquireLock, runningInstance } from "./lock.js";
import { PROGRAM_NAME } from "./program.js";

interface GlobalOptions {
  config?: string;
  data?: string;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

function printError(error: unknown): number {
  const prefix = isArizukoError(error) ? `error ${error.code}: ` : "error: ";
  process.stderr.write(prefix + describe(error) + "\n");
  return 1;
}

/** Takes `--config` and `--data` from anywhere in argv; returns them and the rest. */
function extractGlobals(argv: string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = {};
  const rest: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    const match = /^--(config|data)(?:=(.*))?$/.exec(arg);
    if (!match) {
      rest.push(arg);
      continue;
    }
    const value = match[2] ?? argv[++index];
    if (value === undefined) throw errors.cliUsage(`option --${match[1]} needs a value`);
    globals[match[1] as keyof GlobalOptions] = value;
  }
  return { globals, rest };
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function parseStart(argv: string[]): ConfigOverrides & { help?: string; logLevel?: string } {
  let help: string | undefined;
  const program = new Command(`${PROGRAM_NAME} start`)
    .description("start the gateway: web chat, channels, agents")
    .option("--config <file>", "config file (default: arizuko.yaml, arizuko.yml or arizuko.json here, else built-in defaults)")
    .option("--data <dir>", "data folder (default: ./data)")
    .option("--host <host>", "address to listen on (default: 127.0.0.1)")
    .option("--port <port>", "port to listen on (default: 8080; 0 picks a free one)")
    .option("--insecure", "allow listening on a non-loopback address without authentication")
    .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent (default: log.level of the config, else info)")
    .exitOverride()
    .configureOutput({ writeOut: (text) => (help = (help ?? "") + text), writeErr: (text) => process.stderr.write(text) });
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return { help: help ?? "" };
    throw error;
  }
  const options = program.opts<{ host?: string; port?: string; insecure?: boolean; logLevel?: string }>();
  if (options.logLevel !== undefined && !LOG_LEVELS.includes(options.logLevel)) {
    throw errors.cliUsage(`--log-level must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(options.logLevel)}`);
  }
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw errors.cliUsage(`--port must be an integer from 0 to 65535, got ${JSON.stringify(options.port)}`);
  }
  return { host: options.host, port, insecure: options.insecure, logLevel: options.logLevel };
}

async function start(argv: string[], globals: GlobalOptions): Promise<number> {
  const options = parseStart(argv);
  if (options.help !== undefined) {
    process.stdout.write(options.help);
    return 0;
  }

  const resolved = loadConfig({ file: globals.config, overrides: { ...options, data: globals.data } });
  // A public address needs accounts or --insecure; Kernel.start checks it, since the accounts are in the store.

  const log = createLogger(options.logLevel ?? resolved.config.log.level, logDestination(), secretValues(resolved.config));
  const release = await acquireLock(resolved.dataDir);

  // Handlers go in before anything slow: a signal arriving before them would kill the
  // process outright, leaving the lock and runs behind. One that arrives during start-up
  // is acted on once the instance is up.
  let kernel: Kernel | null = null;
  let signals = 0;
  let pending: NodeJS.Signals | null = null;
  let finished: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finished = resolve));

  const shutdown = (running: Kernel, signal: NodeJS.Signals) => {
    void running
      .stop(signal)
      .catch((error: unknown) => log.error({ err: error }, "shutdown failed"))
      .finally(() => {
        release();
        log.flush();
        finished(0);
      });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    // Stored messages are committed rows: exiting now loses none; runs cut short run again after the next start.
    if (signals > 1) {
      log.warn({ signal }, "second signal; exiting at once (runs cut short run again after the next start)");
      log.flush();
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
    const { runDeadlineMs } = resolved.config.shutdown;
    log.info({ signal, runDeadlineMs }, `signal received; stopping: runs in progress get up to ${runDeadlineMs / 1000} s to finish (send the signal again to exit at once)`);
    if (kernel) shutdown(kernel, signal);
    else pending = signal;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  // One bad plugin never takes the host down: stray errors are logged, not fatal.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled promise rejection (a plugin bug?); arizuko keeps running"));
  process.on("uncaughtException", (error) => log.error({ err: error }, "uncaught exception (a plugin bug?); arizuko keeps running"));

  let booted: Kernel | null = null;
  try {
    booted = await Kernel.boot(resolved, "server", log);
    const url = await booted.start();
    kernel = booted;
    process.stderr.write(`arizuko is running: chat at ${url}/ (health: ${url}/health, data: ${resolved.dataDir}). Ctrl-C stops it.\n`);
  } catch (error) {
    await booted?.stop("start-up failed").catch(() => undefined);
    release();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    throw error;
  }

  if (pending !== null) shutdown(kernel, pending);
  return done;
}

async function dispatch(argv: string[], globals: GlobalOptions): Promise<number> {
  const result = await (async () => {
    // A running instance needs only the data folder; the rest of the config (and its secrets) stays with it.
    const dataDir = dataDirOf({ file: globals.config, overrides: { data: globals.data } });
    const print = (text: string) => void process.stdout.write(text);
    // The running instance writes the backup and the export, so a relative path must mean this shell's folder.
    if (argv[0] === "backup" && argv[1] !== undefined && !argv[1].startsWith("-")) argv = ["backup", resolve(argv[1]), ...argv.slice(2)];
    if (argv[0] === "user" && argv[1] === "export" && argv[3] !== undefined && !argv[3].startsWith("-")) argv = [...argv.slice(0, 3), resolve(argv[3]), ...argv.slice(4)];
    if ((await runningInstance(dataDir)) !== null) return sendAdminCommand(dataDir, argv, print);

    const resolved = loadConfig({ file: globals.config, overrides: { data: globals.data } });
    const log = createLogger("warn", pino.destination({ dest: 2, sync: true }));
    const kernel = await Kernel.boot(resolved, "offline", log);
    try {
      return await kernel.runCli(argv, print);
    } finally {
      await kernel.stop("command finished");
    }
  })();

  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.exitCode;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { globals, rest } = extractGlobals(argv);
    if (rest[0] === "--version" || rest[0] === "-V") {
      process.stdout.write(version() + "\n");
      return 0;
    }
    if (rest[0] === "start") return await start(rest.slice(1), globals);
    // Before init there is no config, so no host can boot: init writes the config first.
    if (rest[0] === "init") return await init(rest.slice(1), globals, { input: process.stdin, output: process.stdout, interactive: process.stdin.isTTY === true });
    if (rest[0] === "doctor") {
      const { output, exitCode } = formatFindings(await doctor({ file: globals.config, overrides: { data: globals.data } }));
      process.stdout.write(output + "\n");
      return exitCode;
    }
    if (rest[0] === "config" && rest[1] === "schema") {
      const { output, note } = await schemaOutput({ file: globals.config });
      process.stdout.write(output + "\n");
      if (note) process.stderr.write(note + "\n");
      return 0;
    }
    if (rest[0] === "config" && rest[1] === "check") {
      const result = await checkConfig({ file: globals.config, overrides: { data: globals.data } });
      (result.exitCode === 0 ? process.stdout : process.stderr).write(result.output + "\n");
      return result.exitCode;
    }
    // Opening the store applies migrations, so the plan is read before any host boots.
    if (rest[0] === "migrate" && rest.includes("--dry-run")) {
      process.stdout.write(formatPlan(await pendingMigrations(loadConfig({ file: globals.config, overrides: { data: globals.data } }))) + "\n");
      return 0;
    }
    return await dispatch(rest, globals);
  } catch (error) {
    // commander has already printed its own usage errors.
    if (error instanceof CommanderError) return error.exitCode || 1;
    return printError(error);
  }
}
