/**
 * `arizuko doctor` through the real binary: a healthy setup with a model server on
 * 127.0.0.1, then each kind of breakage (an invalid config, a key the model server
 * rejects, a model server that is down, a damaged database, an agent runner that does
 * not start), each with its line, its fix and exit code 1.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runDoctor } from "./helpers/doctor.js";
import { tempDir } from "./helpers/instance.js";

let server: Server | undefined;

afterEach(() => {
  server?.close();
  server = undefined;
});

/** Starts a model server that lists models for the key `sk-good` and returns 401 for any other. */
async function modelServer(): Promise<string> {
  server = createServer((request, response) => {
    const good = request.headers.authorization === "Bearer sk-good";
    response.writeHead(good ? 200 : 401, { "content-type": "application/json" }).end(good ? '{"data":[{"id":"local"}]}' : '{"error":"bad key"}');
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

/** Runs doctor on `config` in a fresh folder that `prepare` may fill first. */
function doctor(config: Record<string, unknown> | string, prepare?: (dir: string) => void) {
  const dir = tempDir();
  prepare?.(dir);
  return runDoctor(dir, config);
}

const line = (lines: string[], check: string) => lines.find((candidate) => candidate.slice(5).startsWith(`${check}:`)) ?? "";

describe("arizuko doctor", () => {
  it("passes a healthy setup line by line", async () => {
    const baseUrl = await modelServer();
    const { code, lines } = await doctor({ model: { baseUrl, apiKey: "sk-good", models: ["local"] } });
    expect(code).toBe(0);
    expect(lines.map((entry) => entry.slice(0, 5).trim())).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);
    expect(line(lines, "config")).toMatch(/^ok {3}config: \/.*arizuko\.yaml is valid; plugins: web, route-table/);
    expect(line(lines, "database")).toMatch(/does not exist yet; the first start creates it$/);
    expect(line(lines, "agent runner")).toBe("ok   agent runner: process runner answers; harnesses: demo, openai, claude");
    expect(line(lines, "model")).toBe(`ok   model: ${baseUrl}/models answers`);
  });

  it("fails an invalid config with its problems", async () => {
    const { code, lines } = await doctor("http:\n  port: high\n");
    expect(code).toBe(1);
    expect(lines[0]).toMatch(/^fail config: \/.*arizuko\.yaml is not valid:$/);
    expect(lines.join("\n")).toContain('http.port: expected integer, got "high"');
  });

  it("rejected key, server down", async () => {
    const baseUrl = await modelServer();
    const rejected = await doctor({ model: { baseUrl, apiKey: "sk-wrong", models: ["local"] } });
    expect(rejected.code).toBe(1);
    expect(line(rejected.lines, "model")).toBe(`fail model: ${baseUrl}/models rejected the key (HTTP 401); check model.apiKey`);

    server!.close();
    const down = await doctor({ model: { baseUrl, apiKey: "sk-good", models: ["local"] } });
    expect(line(down.lines, "model")).toMatch(new RegExp(`^fail model: ${baseUrl.replaceAll(".", "\\.")}/models is unreachable \\(.*\\); start the model server or fix model\\.baseUrl$`));
  });

  it("fails a damaged database and an agent runner that does not start", async () => {
    const { code, lines } = await doctor({ runner: { command: ["/nonexistent/agent"] } }, (dir) => {
      mkdirSync(join(dir, "data"));
      writeFileSync(join(dir, "data", "arizuko.db"), "this is not a database, just some text long enough to be read as one".repeat(100));
    });
    expect(code).toBe(1);
    expect(line(lines, "database")).toMatch(/^fail database: .*arizuko\.db (cannot be read|is damaged) \(.*\); .*backup/);
    expect(line(lines, "agent runner")).toBe("fail agent runner: the process runner did not start (spawn /nonexistent/agent ENOENT); check runner.command, or leave it unset for the bundled agent");
    expect(line(lines, "migrations")).toBe("warn migrations: cannot tell (file is not a database); fix the database first");
  });
});
