/**
 * Runs an `arizuko …` command line inside the host: builds a commander program from
 * the registered CLI commands, parses the arguments and captures all output, so the
 * same code answers the admin socket and an offline invocation.
 */
import type { CliCommand, CliInput } from "@arizuko/sdk";
import { isArizukoError } from "@arizuko/sdk";
import { Command, CommanderError } from "commander";
import { describe } from "../errors.js";

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export const PROGRAM_NAME = "arizuko";

/** Receives what a command prints while it runs; the admin socket streams it to the CLI. */
export type ProgressSink = (text: string) => void;

interface RunContext {
  stdout: string[];
  offline: boolean;
  print: ProgressSink;
}

function addCommand(parent: Command, spec: CliCommand, context: RunContext): void {
  const command = parent.command(spec.name).description(spec.description);
  command.exitOverride();

  for (const argument of spec.arguments ?? []) {
    const name = `${argument.name}${argument.variadic ? "..." : ""}`;
    command.argument(argument.required === false ? `[${name}]` : `<${name}>`, argument.description);
  }
  for (const option of spec.options ?? []) command.option(option.flags, option.description, option.default);
  for (const sub of spec.subcommands ?? []) addCommand(command, sub, context);

  if (!spec.run) return;
  const run = spec.run;
  command.action(async (...values: unknown[]) => {
    const count = spec.arguments?.length ?? 0;
    const input: CliInput = {
      args: values.slice(0, count) as CliInput["args"],
      options: values[count] as CliInput["options"],
      offline: context.offline,
      print: (text) => context.print(text.endsWith("\n") ? text : text + "\n"),
    };
    const result = await run(input);
    const text = typeof result === "object" ? result.output : result;
    if (typeof text === "string" && text.length > 0) context.stdout.push(text.endsWith("\n") ? text : text + "\n");
    if (typeof result === "object" && result.exitCode !== 0) throw new CommanderError(result.exitCode, "arizuko.exit", "");
  });
}

/**
 * Parses and runs `argv` (without the program name) against `commands`. What a command
 * prints while it runs goes to `print`, or, without one, into the result's stdout in the order printed.
 */
export async function runCommandLine(commands: CliCommand[], argv: string[], offline: boolean, print?: ProgressSink): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const program = new Command(PROGRAM_NAME)
    .description("arizuko: a self-hosted agent gateway")
    .option("--config <file>", "config file (default: arizuko.yaml, arizuko.yml or arizuko.json here, else built-in defaults)")
    .option("--data <dir>", "data folder (default: ./data, or `data` in the config)")
    .exitOverride()
    .configureOutput({ writeOut: (text) => stdout.push(text), writeErr: (text) => stderr.push(text) });
  program.showHelpAfterError("(run with --help for usage)");

  const context: RunContext = { stdout, offline, print: print ?? ((text) => stdout.push(text)) };
  for (const spec of [...commands].sort((a, b) => a.name.localeCompare(b.name))) addCommand(program, spec, context);
  // commander stops at the first command without an action; make nested groups print their help.
  for (const command of program.commands) command.configureOutput(program.configureOutput());

  try {
    await program.parseAsync(argv, { from: "user" });
    if (argv.length === 0) stdout.push(program.helpInformation());
    return { exitCode: 0, stdout: stdout.join(""), stderr: stderr.join("") };
  } catch (error) {
    if (error instanceof CommanderError) {
      return { exitCode: error.exitCode, stdout: stdout.join(""), stderr: stderr.join("") };
    }
    const prefix = isArizukoError(error) ? `error ${error.code}: ` : "error: ";
    return { exitCode: 1, stdout: stdout.join(""), stderr: stderr.join("") + prefix + describe(error) + "\n" };
  }
}
