/**
 * The log of `arizuko start`: readable lines on a terminal, JSON lines otherwise, secrets
 * scrubbed in both, and `--log-level` over the config's level.
 */
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, logDestination } from "../src/log.js";
import { ARIZUKO_BIN, startArizuko, type RunningArizuko } from "./helpers/process.js";
import { spawnSync } from "node:child_process";
import { tempDir } from "./helpers/instance.js";
import { Client } from "./helpers/client.js";
import { waitFor } from "./helpers/wait.js";

let running: RunningArizuko | undefined;
afterEach(async () => {
  await running?.kill("SIGTERM");
  running = undefined;
});

function capture(): { output: () => string; stream: PassThrough } {
  const stream = new PassThrough();
  let text = "";
  stream.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
  return { stream, output: () => text };
}

describe("the start log", () => {
  it("is readable on a terminal and scrubbed of secrets", async () => {
    const { stream, output } = capture();
    const log = createLogger("info", logDestination(true, stream), ["sk-secret-value"]);
    log.info({ plugin: "core", apiKey: "hidden" }, "model answered with sk-secret-value in it");
    log.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(output()).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: model answered with \[redacted\] in it\n {4}plugin: "core"\n {4}apiKey: "\[redacted\]"\n$/);
  });

  it("is JSON lines elsewhere, at the level --log-level gives", async () => {
    running = await startArizuko(["--port", "0", "--log-level", "debug"], { cwd: tempDir() });
    const visitor = new Client(running.url);
    await visitor.get("/");
    expect((await visitor.say("c1", "hello")).status).toBe(202);
    // Routing logs each decision at debug level.
    const levels = () => running!.output().split("\n").filter((line) => line.startsWith("{")).map((line) => (JSON.parse(line) as { level: number }).level);
    await waitFor(() => levels().includes(20), { what: "a debug line" });
    expect(levels().every((level) => Number.isInteger(level))).toBe(true);
  });

  it("rejects an unknown level", () => {
    const result = spawnSync(process.execPath, [ARIZUKO_BIN, "start", "--log-level", "loud"], { cwd: tempDir(), encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
  });
});
