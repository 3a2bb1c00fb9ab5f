// A standalone arizuko instance for the memory benchmark: the kernel with the default
// plugins and the no-op runner, alone in its process so its RSS is its own. Prints its
// URL as one JSON line once ready, then serves until killed.
// Usage: node server.mjs '{"config":{...}}'
import { startKernel } from "./instance.mjs";
import { NoopRunner } from "./noop-runner.mjs";

const { config = {} } = JSON.parse(process.argv[2] ?? "{}");
const instance = await startKernel({ config, runner: new NoopRunner() });
process.stdout.write(JSON.stringify({ url: instance.url, pid: process.pid, dataDir: instance.kernel.resolved.dataDir }) + "\n");
process.on("SIGTERM", () => void instance.stop().then(() => process.exit(0)));
