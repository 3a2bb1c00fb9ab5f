/**
 * Runs the real `arizuko` command (core/bin/arizuko.js, the compiled CLI) as a child
 * process, the way an operator does.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ARIZUKO_BIN = fileURLToPath(new URL("../../bin/arizuko.js", import.meta.url));

export interface RunningArizuko {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process ends. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

const BANNER = /arizuko is running: chat at (http:\/\/\S+?)\/ /;

/** Starts `arizuko start …` in `cwd` and resolves once it prints its banner. */
export function startArizuko(args: string[], options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunningArizuko> {
  const child = spawn(process.execPath, [ARIZUKO_BIN, "start", ...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`arizuko did not start within ${options.timeoutMs ?? 20_000} ms; output:\n${output}`));
    }, options.timeoutMs ?? 20_000);

    const check = () => {
      const match = BANNER.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stderr!.off("data", check);
      resolve({
        child,
        url: match[1]!,
        output: () => output,
        exited,
        kill: (signal = "SIGTERM") => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stderr!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`arizuko exited (${code}) before it was ready; output:\n${output}`));
    });
  });
}

/** Runs a one-off `arizuko …` command and returns its exit code and output. */
export function runArizuko(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [ARIZUKO_BIN, ...args], { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
