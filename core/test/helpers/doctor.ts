/** Runs `arizuko doctor` through the real binary, as an operator does, and splits its lines. */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { ARIZUKO_BIN } from "./process.js";

export interface DoctorRun {
  /** The exit code: 0 when no line failed. */
  code: number;
  lines: string[];
}

/** Writes `config` as `dir/arizuko.yaml` (YAML text is written as is) and runs doctor there. */
export async function runDoctor(dir: string, config: Record<string, unknown> | string): Promise<DoctorRun> {
  writeFileSync(join(dir, "arizuko.yaml"), typeof config === "string" ? config : stringify(config));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [ARIZUKO_BIN, "doctor"], { cwd: dir });
    return { code: 0, lines: stdout.trim().split("\n") };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, lines: failed.stdout.trim().split("\n") };
  }
}

/** Returns the lines whose check starts with `prefix` (after the five-character level column). */
export function linesOf(lines: string[], prefix: string): string[] {
  return lines.filter((line) => line.slice(5).startsWith(prefix));
}
