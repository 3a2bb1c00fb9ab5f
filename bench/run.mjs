// Runs every benchmark, prints each figure beside its ceiling or goal, and writes the
// figures to bench/results/<date>.json. `--quick` shortens every run (for trying the
// harness, not for recording); `--only ingest,latency,memory,startup` picks some.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { fastifyEcho, sqliteInserts } from "./ceilings.mjs";
import { ingest } from "./ingest.mjs";
import { latency } from "./latency.mjs";
import { memory } from "./memory.mjs";
import { median, runners } from "./runners.mjs";
import { startup } from "./startup.mjs";
import { auth } from "./auth.mjs";
import { printTable, round } from "./lib/stats.mjs";

const BENCHMARKS = ["ingest", "latency", "memory", "startup", "runners", "auth"];
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyIndex = args.indexOf("--only");
const onlyValue = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
if (onlyIndex >= 0 && (onlyValue === undefined || onlyValue.startsWith("--"))) {
  console.error(`--only needs a comma-separated list of: ${BENCHMARKS.join(", ")}`);
  process.exit(2);
}
const only = onlyValue === undefined ? null : new Set(onlyValue.split(","));
const unknown = [...(only ?? [])].filter((name) => !BENCHMARKS.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(", ")}; choose from ${BENCHMARKS.join(", ")}`);
  process.exit(2);
}
const wanted = (name) => only === null || only.has(name);

const settings = quick
  ? { seconds: 3, connections: 32, rates: [{ rate: 1, seconds: 3 }, { rate: 100, seconds: 2 }, { rate: 1000, seconds: 2 }], chats: 1000, messages: 10_000, soakMessages: 50_000, soakSteps: 5, warmRuns: 2, runnerSamples: 3, authSamples: 5 }
  : { seconds: 10, connections: 32, rates: [{ rate: 1, seconds: 10 }, { rate: 100, seconds: 10 }, { rate: 1000, seconds: 10 }], chats: 10_000, messages: 100_000, soakMessages: 1_000_000, soakSteps: 10, warmRuns: 5, runnerSamples: 10, authSamples: 20 };

const figures = {};
const goals = [];
const goal = (name, met, text) => goals.push([name, text, met ? "met" : "not met"]);

if (wanted("ingest")) {
  const echo = await fastifyEcho(settings);
  const sqlite = sqliteInserts({ seconds: quick ? 1 : 3 });
  const result = await ingest(settings);
  Object.assign(figures, {
    ingest_msgs_per_s: round(result.messagesPerSecond, 0),
    ingest_ack_per_s: round(result.acknowledgedPerSecond, 0),
    ingest_p50_ms: result.latencyP50,
    ingest_p99_ms: result.latencyP99,
    ingest_non2xx: result.non2xx,
    fastify_echo_req_per_s: round(echo.requestsPerSecond, 0),
    sqlite_inserts_per_s: round(sqlite.single, 0),
    sqlite_batched_inserts_per_s: round(sqlite.batched, 0),
    ingest_ratio: round(result.messagesPerSecond / echo.requestsPerSecond, 3),
  });
  printTable("Ingest (web channel HTTP API → store → admitted, routed, queued, no-op runs)", [
    ["figure", "value", "ceiling or goal"],
    ["messages/s fully processed", figures.ingest_msgs_per_s, `${figures.fastify_echo_req_per_s} req/s raw fastify echo`],
    ["acknowledged/s (HTTP 202)", figures.ingest_ack_per_s, `${figures.fastify_echo_req_per_s} req/s raw fastify echo`],
    ["ack latency p50 / p99 (ms)", `${figures.ingest_p50_ms} / ${figures.ingest_p99_ms}`, `${echo.latencyP50} / ${echo.latencyP99} raw fastify echo`],
    ["raw SQLite inserts/s, 1 per transaction", figures.sqlite_inserts_per_s, "(ceiling of the store)"],
    ["raw SQLite inserts/s, 100 per transaction", figures.sqlite_batched_inserts_per_s, "(ceiling of the store)"],
    ["ingest_ratio", figures.ingest_ratio, "goal ≥ 0.5"],
  ]);
  goal("ingest_ratio ≥ 0.5", figures.ingest_ratio >= 0.5, `ingest_ratio = ${figures.ingest_ratio}`);
}

if (wanted("latency")) {
  const rows = [["rate (msg/s)", "messages", "p50 (ms)", "p99 (ms)", "max (ms)", "goal"]];
  for (const result of await latency(settings)) {
    figures[`latency_${result.rate}_p50_ms`] = round(result.p50, 3);
    figures[`latency_${result.rate}_p99_ms`] = round(result.p99, 3);
    rows.push([result.rate, result.sent, round(result.p50, 3), round(result.p99, 3), round(result.max, 3), "p50 < 1, p99 < 5"]);
    goal(`latency at ${result.rate} msg/s: p50 < 1 ms, p99 < 5 ms`, result.p50 < 1 && result.p99 < 5, `p50 ${round(result.p50, 3)} ms, p99 ${round(result.p99, 3)} ms`);
  }
  printTable("Latency: inbound commit → runner receives the run spec", rows);
}

if (wanted("memory")) {
  const result = await memory(settings);
  Object.assign(figures, {
    rss_idle_mb: round(result.idleMegabytes, 1),
    rss_loaded_mb: round(result.loadedMegabytes, 1),
    rss_soak_slope_mb_per_100k: round(result.soakSlopePer100k, 2),
    rss_soak_end_mb: round(result.soakEndMegabytes, 1),
    soak_messages: result.soakMessages,
  });
  printTable("Memory (resident set size of the arizuko process)", [
    ["figure", "value", "goal"],
    ["idle, default plugins (MB)", figures.rss_idle_mb, "≤ 80"],
    [`after ${settings.chats} chats / ${settings.messages} messages (MB)`, figures.rss_loaded_mb, "≤ 150"],
    [`slope over ${settings.soakMessages} more messages (MB per 100k)`, figures.rss_soak_slope_mb_per_100k, "flat (≈ 0)"],
    ["end of soak (MB)", figures.rss_soak_end_mb, ""],
  ]);
  goal("idle RSS ≤ 80 MB", figures.rss_idle_mb <= 80, `${figures.rss_idle_mb} MB`);
  goal("loaded RSS ≤ 150 MB", figures.rss_loaded_mb <= 150, `${figures.rss_loaded_mb} MB`);
  goal("soak slope flat (< 1 MB per 100k)", Math.abs(figures.rss_soak_slope_mb_per_100k) < 1, `${figures.rss_soak_slope_mb_per_100k} MB per 100k messages`);
}

if (wanted("startup")) {
  const result = await startup(settings);
  Object.assign(figures, { startup_cold_ms: round(result.coldMs, 0), startup_warm_ms: round(result.warmMedianMs, 0) });
  printTable("Start-up: process start → /ready", [
    ["figure", "value", "goal"],
    ["empty data folder (ms)", figures.startup_cold_ms, "(no goal)"],
    ["existing data folder, median (ms)", figures.startup_warm_ms, "≤ 500"],
  ]);
  goal("start-up ≤ 500 ms", figures.startup_warm_ms <= 500, `${figures.startup_warm_ms} ms`);
}

if (wanted("auth")) {
  const result = await auth(settings);
  Object.assign(figures, { auth_verify_p50_ms: round(result.p50, 1), auth_verify_p99_ms: round(result.p99, 1), auth_verify_burst8_ms: round(result.burstMs, 0) });
  const { memoryCost, timeCost, parallelism } = result.options;
  printTable(`Password verification: argon2id m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}`, [
    ["figure", "value", "goal"],
    ["one verification, p50 / p99 (ms)", `${figures.auth_verify_p50_ms} / ${figures.auth_verify_p99_ms}`, "≥ 10 and ≤ 500"],
    [`${result.burst} at once (ms)`, figures.auth_verify_burst8_ms, "(no goal)"],
  ]);
  goal("argon2id verify 10-500 ms", figures.auth_verify_p50_ms >= 10 && figures.auth_verify_p50_ms <= 500, `${figures.auth_verify_p50_ms} ms`);
}

if (wanted("runners")) {
  const result = await runners(settings);
  Object.assign(figures, {
    process_cold_first_output_ms: round(median(result.process.cold), 0),
    process_warm_first_output_ms: round(median(result.process.warm), 0),
    docker_cold_first_output_ms: result.docker ? round(median(result.docker.cold), 0) : null,
    docker_warm_first_output_ms: result.docker ? round(median(result.docker.warm), 0) : null,
  });
  printTable("Agent runners: message committed → first agent frame, demo harness (median ms)", [
    ["runner", "value", "note"],
    ["process, cold (a new child)", figures.process_cold_first_output_ms, "Node start, agent load, hello"],
    ["process, warm (the unit's child)", figures.process_warm_first_output_ms, "a run frame to a waiting runner"],
    ["docker, cold (a new container)", figures.docker_cold_first_output_ms ?? "not measured", result.dockerError ?? "container create, attach, start, hello"],
    ["docker, warm (the unit's container)", figures.docker_warm_first_output_ms ?? "not measured", result.dockerError ?? "a run frame to a waiting runner"],
  ]);
}

printTable("Goals", [["goal", "measured", "verdict"], ...goals]);

// One file per run, never overwriting: <date>.json, then <date>-2.json and so on; quick
// and partial runs are marked in the name (and ignored by git).
const date = new Date().toISOString().slice(0, 10);
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? "unknown", node: process.version };
const kind = quick ? "-quick" : only !== null ? `-only-${[...only].join("-")}` : "";
const results = fileURLToPath(new URL("results/", import.meta.url));
mkdirSync(results, { recursive: true });
let file = `${results}${date}${kind}.json`;
for (let copy = 2; existsSync(file); copy += 1) file = `${results}${date}${kind}-${copy}.json`;
writeFileSync(file, JSON.stringify({ date, quick, machine, settings, figures, goals: goals.map(([name, measured, verdict]) => ({ name, measured, verdict })) }, null, 2) + "\n");
console.log(`\nwrote ${file}`);
