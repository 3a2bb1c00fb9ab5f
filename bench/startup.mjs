// Start-up time: from spawning `arizuko start` to its /ready answering 200, once on an
// empty data folder (migrations, first-run seeding) and then on the same folder again.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { percentile } from "./lib/stats.mjs";

const BIN = fileURLToPath(new URL("../core/bin/arizuko.js", import.meta.url));
const BANNER = /chat at (http:\/\/\S+?)\/ /;

function startOnce(dataDir) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, "start", "--port", "0", "--data", dataDir], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", async (chunk) => {
      stderr += chunk;
      const match = BANNER.exec(stderr);
      if (!match) return;
      child.stderr.removeAllListeners("data");
      const response = await fetch(`${match[1]}/ready`);
      const elapsed = performance.now() - started;
      child.kill("SIGTERM");
      child.once("exit", () => (response.status === 200 ? resolve(elapsed) : reject(new Error(`/ready answered ${response.status}`))));
    });
    child.once("exit", (code) => {
      if (!BANNER.test(stderr)) reject(new Error(`arizuko exited with ${code} before it was ready: ${stderr}`));
    });
  });
}

export async function startup({ warmRuns }) {
  const dataDir = mkdtempSync(join(tmpdir(), "arizuko-bench-start-"));
  try {
    const cold = await startOnce(dataDir);
    const warm = [];
    for (let run = 0; run < warmRuns; run += 1) warm.push(await startOnce(dataDir));
    return { coldMs: cold, warmMedianMs: percentile(warm, 50), warmMs: warm };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
