/**
 * The logger Baileys gets: a child of the plugin's pino logger at `warn`, because at
 * `info` Baileys logs whole history notifications, media keys included.
 */
import type { SocketConfig } from "baileys";
import type { Logger } from "pino";

/** Baileys' logger interface, which the package does not export by name. */
export type BaileysLogger = SocketConfig["logger"];

export function baileysLogger(log: Logger): BaileysLogger {
  return log.child({ lib: "baileys" }, { level: log.isLevelEnabled("warn") ? "warn" : log.level });
}
