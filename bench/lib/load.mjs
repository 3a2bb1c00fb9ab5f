// Load generators that run in child processes: autocannon for throughput, and a paced
// sender for latency at a fixed rate.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

function runChild(script, argument) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [here(script), JSON.stringify(argument)], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(output.trim().split("\n").at(-1)));
    });
  });
}

/** Runs autocannon with `options` in a child process; resolves with its summary. */
export function cannon(options) {
  return runChild("cannon.mjs", options);
}

/** Sends POSTs at a fixed rate from a child process; resolves with the count sent and accepted. */
export function paced(options) {
  return runChild("paced.mjs", options);
}
