// Memory of an arizuko process (default plugins, no-op runner): resident set size idle,
// after storing 10k chats and 100k messages, and its slope over a soak of more messages.
import { spawn } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { fileURLToPath } from "node:url";
import { visitor } from "./lib/instance.mjs";
import { rssMegabytes, slope } from "./lib/stats.mjs";

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function child(script, argument, onLine) {
  const process_ = spawn(process.execPath, [here(script), JSON.stringify(argument)], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  process_.stdout.setEncoding("utf8").on("data", (chunk) => {
    output += chunk;
    const lines = output.split("\n");
    output = lines.pop();
    for (const line of lines) onLine?.(JSON.parse(line));
  });
  return process_;
}

function fill(options) {
  return new Promise((resolve, reject) => {
    const loader = child("lib/fill.mjs", options, resolve);
    loader.once("exit", (code) => code !== 0 && reject(new Error(`fill exited with ${code}`)));
  });
}

/** Waits until the server has taken every stored message into a run, reading its database. */
async function processed(dataDir) {
  const db = new Database(join(dataDir, "arizuko.db"), { readonly: true });
  db.pragma("busy_timeout = 5000");
  try {
    const waiting = db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state IN ('pending', 'running')");
    while (waiting.get().n > 0) await sleep(200);
  } finally {
    db.close();
  }
}

export async function memory({ chats, messages, soakMessages, soakSteps }) {
  let ready;
  const started = new Promise((resolve) => (ready = resolve));
  const server = child("lib/server.mjs", {}, (line) => ready(line));
  const { url, pid, dataDir } = await started;

  try {
    await sleep(2000);
    const idle = rssMegabytes(pid);

    const cookie = await visitor(url);
    await fill({ url, cookie, prefix: "m", chats, count: messages, concurrency: 32 });
    await processed(dataDir);
    await sleep(2000);
    const loaded = rssMegabytes(pid);

    const points = [[0, loaded]];
    const step = Math.ceil(soakMessages / soakSteps);
    for (let sent = step; sent <= soakMessages; sent += step) {
      await fill({ url, cookie, prefix: "s", chats: 1000, count: step, concurrency: 32 });
      await processed(dataDir);
      points.push([sent, rssMegabytes(pid)]);
    }
    await sleep(3000);
    const last = rssMegabytes(pid);

    return {
      idleMegabytes: idle,
      loadedMegabytes: loaded,
      soakMessages,
      soakEndMegabytes: last,
      // Megabytes per 100k messages over the soak; near 0 means flat.
      soakSlopePer100k: slope(points) * 100_000,
      soakPoints: points,
    };
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
  }
}
