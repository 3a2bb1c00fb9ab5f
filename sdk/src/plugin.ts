/**
 * `definePlugin`: the default export of every arizuko plugin.
 */
import type { Static, TSchema } from "typebox";
import { ArizukoError } from "./errors.js";
import type { Database } from "better-sqlite3";
import type { Host } from "./host.js";

/** The host API major version this sdk describes. A host refuses plugins built for another major. */
export const HOST_API_VERSION = 1;

/** Plugin names: lowercase, digits and `-`; tables are prefixed with the name, `-` as `_`. */
export const PLUGIN_NAME_PATTERN = /^[a-z][a-z0-9-]{0,63}$/;

/** A JSON Schema object; TypeBox schemas are JSON Schemas. */
export type JsonSchema = Record<string, unknown>;

/** The config type a schema describes: inferred for TypeBox schemas, `C` for plain JSON Schema. */
export type ConfigOf<S, C = Record<string, unknown>> = S extends TSchema ? Static<S> : C;

export interface PluginDefinition<S = TSchema, C = ConfigOf<S>> {
  /** Unique name; also the tap name in hook logs and the prefix of the plugin's tables. */
  name: string;
  version: string;
  /** Host API major version the plugin was built for (`HOST_API_VERSION` of its sdk). */
  apiVersion: number;
  description?: string;
  /** Names of plugins that must register first; a missing or failed one fails this plugin. */
  dependencies?: string[];
  /**
   * JSON Schema of the plugin's config, usually built with TypeBox (then `config` is
   * typed from it). Defaults in the schema are applied and text is converted to the
   * number or boolean a field needs.
   */
  configSchema?: S;
  /**
   * Checks across fields that the schema cannot express plainly, run on the config the schema
   * accepted (defaults applied). Returns one problem per mistake, each starting with the
   * field's path (`webhookUrl: …`), saying what to set; any problem stops start-up, as
   * a schema error does.
   */
  checkConfig?(config: C): string[];
  /**
   * Folder of SQL migrations (`0001_name.sql`, applied in name order, recorded under the
   * plugin's name). Usually `new URL("../migrations", import.meta.url)`.
   */
  migrations?: string | URL;
  register(host: Host, config: C): void | Promise<void>;
  /**
   * Checks, for `arizuko doctor`, what the plugin needs outside arizuko (a platform token,
   * a linked session, an endpoint) with the validated config. It runs without a host and
   * sends no message. It returns one finding per thing checked; a `fail` explains the fix.
   */
  doctor?(config: C, context: DoctorContext): Promise<DoctorFinding[]>;
}

/** One line of `arizuko doctor`. */
export interface DoctorFinding {
  /** Name of the thing checked, e.g. `bot 600000001`; doctor prefixes the plugin's name. */
  check: string;
  level: "ok" | "warn" | "fail";
  /** Result and, unless ok, the fix. */
  detail: string;
}

export interface DoctorContext {
  /** The instance's data folder (it may not exist before the first start). */
  dataDir: string;
  /** The store, read-only; null before the first start. The plugin's tables may be missing until it first ran. */
  db: Database | null;
  /** Aborted when the check runs out of time; pass it to network calls. */
  signal: AbortSignal;
}

/** Declares a plugin; checks the name at import time so a typo fails early and clearly. */
export function definePlugin<S = TSchema, C = ConfigOf<S>>(definition: PluginDefinition<S, C>): PluginDefinition<S, C> {
  if (!PLUGIN_NAME_PATTERN.test(definition.name)) {
    throw new ArizukoError(
      "ARZ_ERR_PLUGIN_NAME",
      `plugin name ${JSON.stringify(definition.name)} must match ${PLUGIN_NAME_PATTERN.source}`,
    );
  }
  return definition;
}

/** The table-name prefix of a plugin: `route-table` → `route_table_`. */
export function tablePrefix(pluginName: string): string {
  return pluginName.replaceAll("-", "_") + "_";
}
