// The raw ceilings arizuko is compared with, measured in the same run on the same machine:
// a bare fastify server echoing a JSON POST, and bare better-sqlite3 inserts of one
// indexed message row per transaction and 100 per transaction.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import Fastify from "fastify";
import { cannon } from "./lib/load.mjs";

export const BODY = JSON.stringify({ text: "hello, this is a benchmark message of ordinary length" });

export async function fastifyEcho({ seconds, connections }) {
  const server = Fastify({ logger: false });
  server.post("/echo", async (request) => request.body);
  const url = await server.listen({ host: "127.0.0.1", port: 0 });
  try {
    const result = await cannon({
      url: `${url}/echo`,
      method: "POST",
      body: BODY,
      headers: { "content-type": "application/json" },
      connections,
      duration: seconds,
    });
    return { requestsPerSecond: result.requestsPerSecond, latencyP50: result.latencyP50, latencyP99: result.latencyP99 };
  } finally {
    await server.close();
  }
}

function insertRate(batch, seconds) {
  const dir = mkdtempSync(join(tmpdir(), "arizuko-bench-sqlite-"));
  const db = new Database(join(dir, "bench.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(`CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
      chat TEXT NOT NULL, text TEXT NOT NULL, stored_at INTEGER NOT NULL)`);
    db.exec("CREATE INDEX messages_chat_seq ON messages (chat, seq)");
    const insert = db.prepare("INSERT INTO messages (id, chat, text, stored_at) VALUES (?, ?, ?, ?)");
    const write = db.transaction((start) => {
      for (let offset = 0; offset < batch; offset += 1) insert.run(`m${start + offset}`, `web:local/c${(start + offset) % 8}`, BODY, Date.now());
    });

    let rows = 0;
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    while (performance.now() < deadline) {
      write(rows);
      rows += batch;
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sqliteInserts({ seconds }) {
  return { single: insertRate(1, seconds), batched: insertRate(100, seconds) };
}
