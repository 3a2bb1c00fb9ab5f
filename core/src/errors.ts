/**
 * Every error the core raises, made in one place. Callers and tests match on `code`;
 * each message names the value at fault and what to do about it.
 */
import { ArizukoError } from "@arizuko/sdk";

export { ArizukoError };

function error(code: string, message: string, statusCode = 500, cause?: unknown): ArizukoError {
  return new ArizukoError(code, message, { statusCode, cause });
}

export const errors = {
  configNotFound: (file: string) =>
    error("ARZ_ERR_CONFIG_NOT_FOUND", `config file ${file} not found; pass an existing file to --config or omit it to use the defaults`),

  configUnreadable: (file: string, reason: string) =>
    error("ARZ_ERR_CONFIG_UNREADABLE", `config file ${file} could not be parsed: ${reason}`),

  configInvalid: (where: string, problems: string[]) =>
    error("ARZ_ERR_CONFIG_INVALID", `invalid config in ${where}:\n  - ${problems.join("\n  - ")}`),

  configEnvMissing: (file: string, name: string) =>
    error(
      "ARZ_ERR_CONFIG_ENV",
      `config file ${file} uses \${${name}} but the environment variable ${name} is not set; set it, set ${name}_FILE to a file holding the value, or give a default with \${${name}:-value}`,
    ),
  configEnvFile: (file: string, name: string, path: string, reason: string) =>
    error("ARZ_ERR_CONFIG_ENV", `config file ${file} uses \${${name}}, and ${name}_FILE names ${path}, which cannot be read (${reason}); fix the path or its permissions`),

  insecureBind: (host: string) =>
    error("ARZ_ERR_INSECURE_BIND", `refusing to listen on ${host} without authentication; add an account first (arizuko user add NAME --operator) so the web chat asks for sign-in, bind to 127.0.0.1, or start with --insecure if this network is trusted`),

  portInUse: (host: string, port: number) =>
    error("ARZ_ERR_PORT_IN_USE", `${host}:${port} is already in use by another program; stop it or start with --port N (0 picks a free port)`),

  instanceRunning: (dataDir: string, pid: number) =>
    error("ARZ_ERR_INSTANCE_RUNNING", `another arizuko instance (pid ${pid}) is running on ${dataDir}; stop it or pass another --data folder`),

  storeBusy: (waitedMs: number) =>
    error("ARZ_ERR_STORE_BUSY", `the database stayed locked for ${waitedMs} ms; retry the request`, 503),

  migrationFailed: (owner: string, name: string, cause: unknown) =>
    error("ARZ_ERR_MIGRATION", `migration ${name} of ${owner} failed: ${describe(cause)}`, 500, cause),

  migrationName: (owner: string, file: string) =>
    error("ARZ_ERR_MIGRATION_NAME", `migration file ${file} of ${owner} must be named NNNN_description.sql (four digits, lowercase words)`),

  migrationTable: (owner: string, file: string, table: string, prefix: string) =>
    error("ARZ_ERR_MIGRATION_TABLE", `migration ${file} of plugin ${owner} creates ${table}; plugin tables and indexes must start with ${prefix}`),

  pluginNotFound: (entry: string, tried: string[]) =>
    error("ARZ_ERR_PLUGIN_NOT_FOUND", `plugin ${JSON.stringify(entry)} not found (tried ${tried.join(", ")}); install the package or fix the path in the config`),

  pluginShape: (entry: string, problem: string) =>
    error("ARZ_ERR_PLUGIN_SHAPE", `plugin ${JSON.stringify(entry)} ${problem}; its default export must come from definePlugin() of @arizuko/sdk`),

  pluginApiVersion: (plugin: string, wanted: number, supported: number) =>
    error("ARZ_ERR_PLUGIN_API_VERSION", `plugin ${plugin} was built for host API ${wanted}, but this arizuko supports ${supported}; install a version of ${plugin} built for API ${supported}`),

  pluginDependency: (plugin: string, dependency: string, why: string) =>
    error("ARZ_ERR_PLUGIN_DEPENDENCY", `plugin ${plugin} depends on ${dependency}, which ${why}; add it to the plugins list or fix its error`),

  pluginTimeout: (plugin: string, step: string, ms: number) =>
    error("ARZ_ERR_PLUGIN_TIMEOUT", `plugin ${plugin} did not finish ${step} within ${ms} ms`),

  nameCollision: (kind: string, name: string, holder: string, claimant: string) =>
    error("ARZ_ERR_NAME_COLLISION", `${kind} ${JSON.stringify(name)} is already registered by ${holder}; ${claimant} cannot register it too`),

  invalidName: (kind: string, name: string, pattern: RegExp) =>
    error("ARZ_ERR_INVALID_NAME", `${kind} name ${JSON.stringify(name)} must match ${pattern.source}`),

  serviceMissing: (plugin: string, service: string) =>
    error("ARZ_ERR_SERVICE_MISSING", `plugin ${plugin} uses service ${service}, which no started plugin provides`),

  registrationClosed: (plugin: string, what: string) =>
    error("ARZ_ERR_REGISTRATION_CLOSED", `plugin ${plugin} registered ${what} after start-up; HTTP routes and CLI commands must be registered in register()`),

  channelInvalid: (plugin: string, channel: string, problem: string) =>
    error("ARZ_ERR_CHANNEL_INVALID", `plugin ${plugin} registered an invalid channel ${JSON.stringify(channel)}: ${problem}`),

  pairingNotFound: (code: string) =>
    error("ARZ_ERR_PAIRING_NOT_FOUND", `no pairing code ${JSON.stringify(code)}; list open codes with \`arizuko pair list\``, 404),

  pairingExpired: (code: string) =>
    error("ARZ_ERR_PAIRING_EXPIRED", `pairing code ${code} has expired; the sender gets a new one when they next write to the bot directly or mention it`, 410),

  delegationTooDeep: (target: string, depth: number) =>
    error("ARZ_ERR_DELEGATION_DEPTH", `delegation to ${target} refused: messages may be delegated at most ${depth} deep`),

  chatNotOwned: (chat: string, channel: string) =>
    error("ARZ_ERR_CHAT_PREFIX", `channel ${channel} sent a message for ${chat}, outside the JID prefixes it registered`, 400),

  invalidMessage: (channel: string, problem: string) =>
    error("ARZ_ERR_INVALID_MESSAGE", `channel ${channel} sent an invalid message: ${problem}`, 400),

  groupInvalid: (problem: string) =>
    error("ARZ_ERR_GROUP_INVALID", `invalid group folder: ${problem}`, 400),

  groupNameInvalid: (problem: string) =>
    error("ARZ_ERR_GROUP_NAME", `invalid group name: ${problem}`, 400),

  groupExists: (folder: string) =>
    error("ARZ_ERR_GROUP_EXISTS", `group ${folder} already exists; pick another folder, or rename the existing group`, 409),

  groupNotFound: (folder: string) =>
    error("ARZ_ERR_GROUP_NOT_FOUND", `group ${folder} does not exist; list groups with \`arizuko group list\``, 404),

  groupBusy: (folder: string, reason: string) =>
    error("ARZ_ERR_GROUP_BUSY", `group ${folder} cannot be removed: ${reason}`, 409),

  purgeBusy: (what: string, reason: string) =>
    error("ARZ_ERR_PURGE_BUSY", `${what} cannot be purged yet: ${reason}`, 409),

  personNotFound: (given: string) =>
    error("ARZ_ERR_PERSON_NOT_FOUND", `no user or sender ${JSON.stringify(given)}: give a username (see \`arizuko user list\`) or a sender JID such as telegram:111 or web:v_abc`, 404),

  groupParentMissing: (folder: string, parent: string) =>
    error("ARZ_ERR_GROUP_PARENT", `group ${folder} needs its parent group ${parent}; add ${parent} first`, 400),

  templateMissing: (path: string) =>
    error("ARZ_ERR_TEMPLATE_MISSING", `group template folder ${path} not found; the @arizuko/core install is incomplete`),

  protocolVersion: (agent: string, host: string) =>
    error("ARZ_ERR_PROTOCOL_VERSION", `agent runner speaks run protocol ${agent}, this host speaks ${host}; use an agent image built for protocol ${host.split(".")[0]}.x`),

  protocolFrame: (problem: string) =>
    error("ARZ_ERR_PROTOCOL_FRAME", `agent runner sent an invalid frame: ${problem}`),

  harnessUnknown: (harness: string, setting: string, offered: string[]) =>
    error("ARZ_ERR_HARNESS_UNKNOWN", `${setting} is ${JSON.stringify(harness)}, but the agent runner offers ${offered.map((name) => JSON.stringify(name)).join(", ") || "no harness"}; set ${setting} to one of them`),

  agentExited: (code: number | null, signal: string | null, stderr: string) =>
    error("ARZ_ERR_AGENT_EXITED", `agent runner exited (code ${code ?? "none"}, signal ${signal ?? "none"}) before finishing the run${stderr ? `; stderr: ${stderr}` : ""}`),

  agentHelloTimeout: (ms: number) =>
    error("ARZ_ERR_AGENT_HELLO", `agent runner sent no hello within ${ms} ms; check that the runner command starts the arizuko agent`),

  adminUnavailable: (socket: string, reason: string) =>
    error("ARZ_ERR_ADMIN_SOCKET", `cannot reach the running instance at ${socket}: ${reason}`),

  cliUsage: (message: string) => error("ARZ_ERR_USAGE", message, 400),

  initConfigExists: (file: string) =>
    error("ARZ_ERR_INIT_EXISTS", `${file} already exists and arizuko init does not overwrite it; pass --force to replace it (the data folder and its users are kept), or --config FILE to write another file`, 400),

  initUnknownPlugins: (names: string[], shipped: string[]) =>
    error("ARZ_ERR_INIT_PLUGIN", `unknown plugin${names.length > 1 ? "s" : ""} ${names.map((name) => JSON.stringify(name)).join(", ")}; arizuko init writes the plugins arizuko ships: ${shipped.join(", ")} (add others to the file afterwards)`, 400),
};

/** Returns the message of any thrown value, for logs and stored error columns. */
export function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
