/**
 * Starts a real arizuko kernel in the test process: a config file in a temp folder, a
 * real SQLite file, fastify on 127.0.0.1 with a free port, the process runner.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { createLogger } from "../../src/log.js";
import { secretValues } from "../../src/secrets.js";
import { stringify } from "yaml";
import { Kernel, loadConfig, type EmbeddedPlugin } from "../../src/index.js";
import { Client } from "./client.js";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
export const fixture = (path: string) => join(FIXTURES, path);

/** Agent runner command for a fixture agent script. */
export function fixtureAgent(name: string): string[] {
  return [process.execPath, fixture(`agents/${name}`)];
}

export function tempDir(prefix = "arizuko-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestInstance {
  kernel: Kernel;
  url: string;
  dir: string;
  dataDir: string;
  client(): Client;
  stop(): Promise<void>;
  /** Stops and deletes the temp folder. */
  dispose(): Promise<void>;
}

export interface InstanceOptions {
  /** Config file contents; `http.port` defaults to 0 and `data` to a temp folder. */
  config?: Record<string, unknown>;
  plugins?: EmbeddedPlugin[];
  /** Reuse this folder (restart tests). */
  dir?: string;
}

export async function startInstance(options: InstanceOptions = {}): Promise<TestInstance> {
  const dir = options.dir ?? tempDir();
  // Tests often end with runs in flight (hung agents): they are stopped at once rather
  // than given the production 30 s to finish.
  const config = { http: { port: 0 }, shutdown: { runDeadlineMs: 0 }, ...options.config };
  const file = join(dir, "arizuko.yaml");
  writeFileSync(file, stringify(config));

  const resolved = loadConfig({ file });
  // The logger `arizuko start` builds, so tests see what an operator's log would hold.
  const log = createLogger(process.env.ARIZUKO_TEST_LOG ?? "debug", pino.destination({ dest: join(dir, "arizuko.log"), sync: true }), secretValues(resolved.config));
  const kernel = await Kernel.boot(resolved, "server", log, { plugins: options.plugins });
  let url: string;
  try {
    url = await kernel.start();
  } catch (error) {
    await kernel.stop("start-up failed");
    throw error;
  }

  const instance: TestInstance = {
    kernel,
    url,
    dir,
    dataDir: resolved.dataDir,
    client: () => new Client(url),
    stop: () => kernel.stop("test finished"),
    dispose: async () => {
      await kernel.stop("test finished");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return instance;
}
