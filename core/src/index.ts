/**
 * @arizuko/core: the kernel. Most users run the `arizuko` command; these exports
 * embed the kernel in another program or a test.
 */
export { Kernel, type KernelMode, type BootOptions } from "./kernel.js";
export type { EmbeddedPlugin } from "./plugins/loader.js";
export { loadConfig, type ResolvedConfig, type ConfigOverrides } from "./config/load.js";
export { ConfigSchema, DEFAULT_PLUGINS, type Config } from "./config/schema.js";
export { configJsonSchema, SHIPPED_PLUGINS } from "./config/json-schema.js";
export { configReference } from "./config/reference.js";
export { createLogger } from "./log.js";
export { main } from "./cli/main.js";
export { HOOK_CATALOG, HOOK_NAMES, POLICY_BY_KIND, type HookSpec, type FailurePolicy } from "./hooks/catalog.js";
export { errors } from "./errors.js";
export { BUSY_TIMEOUT_MS, openDatabase } from "./store/db.js";
export { Store } from "./store/index.js";
export type { Runner, RunHandle, RunHandlers, RunExit } from "./agent/runner.js";
