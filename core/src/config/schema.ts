/**
 * The config file's schema and its embedded defaults. With no config file, these
 * defaults serve a first run: SQLite under ./data, the web chat on 127.0.0.1:8080,
 * the process runner with the demo harness, routes from the route table.
 *
 * The schema is plain JSON Schema (what ajv checks) and `Config` is its type, written
 * out: keep the two in step.
 */
import type { ProvidersConfig } from "../auth/builtin-providers.js";

/** The web chat and every routing layer; leaving a layer out of the list switches it off. */
export const DEFAULT_PLUGINS = ["web", "route-table", "route-sticky", "route-command", "route-reply", "route-prefix", "dashboard", "scheduler"];

/** A plugin entry: its short name, package name or path, or `{ use, config }`. */
export type PluginEntryConfig = string | { use: string; config?: Record<string, unknown> };

export interface AdmissionConfig {
  /**
   * `open`: anyone may start runs; `allowlist`: only senders or chats listed in `allow`;
   * `pairing`: also senders an operator approved after they were sent a pairing code.
   */
  policy: "open" | "allowlist" | "pairing";
  /** Sender or chat JIDs; `*` at the end matches any rest. */
  allow?: string[];
}

export interface Config {
  /** Data folder: database, group folders, admin socket. Relative to the config file. */
  data: string;
  http: {
    host: string;
    port: number;
    /**
     * Behind a reverse proxy: `true` trusts every proxy's X-Forwarded-* headers, a string
     * lists the proxies' addresses or CIDRs (comma-separated). Client addresses
     * (the sign-in limit), https (Secure cookies) and the host (OAuth callbacks, CSRF)
     * then come from those headers.
     */
    trustProxy: boolean | string;
  };
  /** Allows listening on a non-loopback address without authentication. */
  insecure: boolean;
  plugins: PluginEntryConfig[];
  runner: {
    /** `process`: agent runners as child processes (development); `docker`: in hardened containers. */
    kind: "process" | "docker";
    /** Command that starts the agent runner; defaults to the bundled @arizuko/agent. */
    command?: string[];
    docker: {
      /** The agent image, built from agent/Dockerfile. */
      image: string;
      /** The Docker engine's unix socket; null reads DOCKER_HOST, else /var/run/docker.sock. */
      host: string | null;
      /** `uid:gid` in the container; `auto` is 1000:1000 when arizuko runs as root, else its own ids. */
      user: string;
      memoryMb: number;
      cpus: number;
      /** Processes and threads a container may have; Node needs a few dozen. */
      pidsLimit: number;
      /** Size of the container's writable /tmp. */
      tmpfsMb: number;
    };
    /** Milliseconds a unit's runner (process or container) waits for the unit's next run before it exits; 0 never waits. */
    keepWarmMs: number;
    /** Runners alive at once, busy or waiting; the oldest waiting one goes first. */
    maxRunners: number;
    /** A run still going after this many milliseconds is stopped, then killed. */
    timeoutMs: number;
    /** Milliseconds between `stop` and killing the runner. */
    stopGraceMs: number;
    /** A run that sends no frame for this many milliseconds is stopped as hung; 0 never. */
    idleTimeoutMs: number;
    /** Milliseconds the runner has to send `hello` after it starts. */
    helloTimeoutMs: number;
  };
  agent: {
    /** Harness inside the agent runner: `demo` replies deterministically, `openai` and `claude` use the model. */
    harness: string;
    options: Record<string, unknown>;
    /**
     * Per-group changes, keyed by group folder; an entry applies to the group and its
     * subtree, the longest key winning. `options` carry over only while the harness
     * stays the same; `model` fields replace those of the top-level `model`.
     */
    groups: Record<string, { harness?: string; options?: Record<string, unknown>; model?: Partial<ModelSettings> }>;
  };
  queue: {
    /** Runs in flight at once across all units. */
    maxConcurrentRuns: number;
    /** Most pending messages one run takes. */
    maxBatch: number;
    /** Most context rows (chatter, earlier replies) a run's batch carries. */
    contextMessages: number;
  };
  breaker: {
    /** Consecutive failed runs that pause a group. */
    failures: number;
    /** Milliseconds a paused group waits before one run may try again. */
    cooldownMs: number;
  };
  hooks: {
    /** Per-hook timeouts in milliseconds replacing the defaults docs/plugins.md lists, e.g. `{ onEnrich: 120000 }`. */
    timeoutsMs: Record<string, number>;
  };
  /** Admission policy per platform (`web`, `telegram`, …). Unlisted platforms: `web` is open, the others admit nobody. */
  admission: Record<string, AdmissionConfig>;
  /** Sender JIDs of operators: always admitted, and the only ones who may run operator commands. */
  operators: string[];
  pairing: {
    /** A sender gets at most one pairing code per this many milliseconds. */
    periodMs: number;
    /** Milliseconds a pairing code stays valid. */
    codeTtlMs: number;
  };
  routing: {
    /**
     * How many delegations deep a message may go: a person's `@child text` makes one at
     * depth 1; 0 turns delegation off. Agents' delegation tools will add depth.
     */
    maxDelegationDepth: number;
  };
  grants: {
    /** The operator's own group, which may do anything; null for none. */
    operatorGroup: string | null;
  };
  model: ModelSettings;
  auth: {
    /** Seconds an access token is valid; browsers refresh it with their refresh cookie. */
    accessTokenTtlS: number;
    /** Days a refresh token (a sign-in) lasts without being used. */
    refreshTokenTtlDays: number;
    /** Failed sign-ins per address or account within `failureWindowS` before further attempts wait. */
    maxFailures: number;
    failureWindowS: number;
    /** Sign-in providers; each is offered only when its client id and secret (or bot token) are set. */
    providers: ProvidersConfig;
  };
  tools: {
    /** Deadline of an agent's tool call, unless the tool or `timeoutsMs` sets another. */
    timeoutMs: number;
    /** Deadlines per tool name, e.g. `{ send_file: 60000 }`. */
    timeoutsMs: Record<string, number>;
  };
  log: { level: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent" };
  /** The graceful stop on SIGTERM or SIGINT; a second signal exits at once. */
  shutdown: {
    /** Milliseconds runs in progress get to finish before they are stopped. */
    runDeadlineMs: number;
    /** Milliseconds replies get to go out after the runs ended, before channels close. */
    outboxDeadlineMs: number;
  };
  /** How long stored data is kept; a daily prune deletes what is older. */
  retention: RetentionConfig;
}

/** Ages in whole days; 0 keeps the data forever. */
export interface RetentionAges {
  /** Days a message is kept after its time, with its media and delivered outbox rows. */
  messagesDays: number;
  /** Days a received file stays on disk; its message stays, noting the file was removed. */
  mediaDays: number;
  /** Days an ended agent run's record and its tool-call log are kept. */
  runLogsDays: number;
}

export interface RetentionConfig extends RetentionAges {
  /**
   * Per-group changes, keyed by group folder. An entry applies to the group and its
   * subtree and changes only the ages it names; for each age the longest key wins.
   */
  groups: Record<string, Partial<RetentionAges>>;
}

export interface ModelSettings {
  /** The API the endpoint speaks: `openai` (chat completions) or `anthropic` (messages). */
  api: "openai" | "anthropic";
  /** Base URL the model proxy forwards to, ending in the API version, e.g. `http://127.0.0.1:11434/v1`; null for none. */
  baseUrl: string | null;
  /** The endpoint's key; stays in the host, never reaches an agent. */
  apiKey: string | null;
  /** Models agents may use; the first is the default. */
  models: string[];
  /** Milliseconds one model call may take. */
  timeoutMs: number;
}

/** The data folder when the config names none, relative to the config file. */
export const DEFAULT_DATA = "./data";

const integer = (minimum: number, defaultValue: number, maximum?: number) => ({
  type: "integer",
  minimum,
  ...(maximum !== undefined && { maximum }),
  default: defaultValue,
});

const url = (fallback: string) => ({ type: "string", pattern: "^https?://", default: fallback });

/** An OAuth provider's settings: unset (empty) credentials leave it off; the URLs default to the provider's own. */
const oauthProvider = (authorizationUrl: string, tokenUrl: string, userUrl: string) =>
  section({
    clientId: { type: "string", default: "" },
    clientSecret: { type: "string", default: "" },
    authorizationUrl: url(authorizationUrl),
    tokenUrl: url(tokenUrl),
    userUrl: url(userUrl),
  });

const section = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
  default: {},
});

export const PLUGIN_ENTRY = {
  description: "a plugin name or path, or { use, config }",
  anyOf: [
    { type: "string", minLength: 1 },
    {
      type: "object",
      properties: { use: { type: "string", minLength: 1 }, config: { type: "object" } },
      required: ["use"],
      additionalProperties: false,
    },
  ],
};

const MODEL_PROPERTIES = {
  api: { enum: ["openai", "anthropic"], default: "openai" },
  baseUrl: { type: ["string", "null"], pattern: "^https?://", default: null },
  apiKey: { type: ["string", "null"], default: null },
  models: { type: "array", items: { type: "string", minLength: 1 }, default: [] },
  timeoutMs: integer(1_000, 300_000, 3_600_000),
};

/** The same fields without defaults: a group's `model` changes only what it names. */
const MODEL_CHANGES = Object.fromEntries(
  Object.entries(MODEL_PROPERTIES).map(([name, { default: _default, ...rest }]) => [name, rest]),
);

/** Group folders: lowercase segments joined by `/`, as the group service makes them. */
const GROUP_FOLDER_PATTERN = "^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$";
const GROUP_FOLDER_NAMES = { pattern: GROUP_FOLDER_PATTERN, description: "a group folder: lowercase letters, digits, - and _, levels joined by / (e.g. acme/support)" };

/** Retention ages in whole days: 0 keeps forever, at most 100 years. */
const days = (description: string) => ({ type: "integer", minimum: 0, maximum: 36_500, unit: "whole days", description: `${description}, in whole days; 0 keeps forever` });
const RETENTION_AGES = {
  messagesDays: days("how long a message is kept after its time"),
  mediaDays: days("how long a received file stays on disk"),
  runLogsDays: days("how long an ended run's record and tool-call log are kept"),
};

export const ConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    data: { type: "string", minLength: 1, default: DEFAULT_DATA },
    http: section({
      host: { type: "string", minLength: 1, default: "127.0.0.1" },
      port: integer(0, 8080, 65535),
      trustProxy: { type: ["boolean", "string"], default: false },
    }),
    insecure: { type: "boolean", default: false },
    plugins: { type: "array", items: PLUGIN_ENTRY, default: DEFAULT_PLUGINS },
    runner: section({
      kind: { enum: ["process", "docker"], default: "process" },
      command: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1 },
      docker: section({
        image: { type: "string", minLength: 1, default: "arizuko-agent:latest" },
        host: { type: ["string", "null"], default: null },
        user: { type: "string", pattern: "^(auto|[0-9]+:[0-9]+)$", default: "auto" },
        memoryMb: integer(64, 1024, 65_536),
        cpus: { type: "number", exclusiveMinimum: 0, maximum: 64, default: 1 },
        pidsLimit: integer(32, 256, 65_536),
        tmpfsMb: integer(1, 64, 65_536),
      }),
      keepWarmMs: integer(0, 120_000, 86_400_000),
      maxRunners: integer(1, 8, 1024),
      timeoutMs: integer(100, 600_000),
      stopGraceMs: integer(0, 5_000),
      idleTimeoutMs: integer(0, 300_000, 3_600_000),
      helloTimeoutMs: integer(100, 15_000),
    }),
    agent: section({
      harness: { type: "string", minLength: 1, default: "demo" },
      options: { type: "object", default: {} },
      groups: {
        type: "object",
        default: {},
        propertyNames: GROUP_FOLDER_NAMES,
        additionalProperties: {
          type: "object",
          properties: {
            harness: { type: "string", minLength: 1 },
            options: { type: "object" },
            model: { type: "object", properties: MODEL_CHANGES, additionalProperties: false },
          },
          additionalProperties: false,
        },
      },
    }),
    queue: section({
      maxConcurrentRuns: integer(1, 4),
      maxBatch: integer(1, 50),
      contextMessages: integer(0, 20),
    }),
    breaker: section({
      failures: integer(1, 3),
      cooldownMs: integer(100, 300_000),
    }),
    hooks: section({
      timeoutsMs: { type: "object", additionalProperties: { type: "integer", minimum: 1, maximum: 600_000 }, default: {} },
    }),
    admission: {
      type: "object",
      default: {},
      additionalProperties: {
        type: "object",
        properties: {
          policy: { enum: ["open", "allowlist", "pairing"] },
          allow: { type: "array", items: { type: "string", minLength: 1 } },
        },
        required: ["policy"],
        additionalProperties: false,
      },
    },
    operators: { type: "array", items: { type: "string", minLength: 1 }, default: [] },
    pairing: section({
      periodMs: integer(1000, 3_600_000),
      codeTtlMs: integer(1000, 86_400_000),
    }),
    routing: section({
      maxDelegationDepth: integer(0, 1, 8),
    }),
    grants: section({
      operatorGroup: { type: ["string", "null"], default: null },
    }),
    model: section(MODEL_PROPERTIES),
    auth: section({
      accessTokenTtlS: integer(30, 900, 86_400),
      refreshTokenTtlDays: integer(1, 30, 365),
      maxFailures: integer(1, 5, 1000),
      failureWindowS: integer(1, 900, 86_400),
      providers: section({
        github: oauthProvider("https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token", "https://api.github.com/user"),
        google: oauthProvider("https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v3/userinfo"),
        discord: oauthProvider("https://discord.com/oauth2/authorize", "https://discord.com/api/oauth2/token", "https://discord.com/api/users/@me"),
        telegram: section({ botToken: { type: "string", default: "", description: "the token of the bot the Telegram login widget names" } }),
      }),
    }),
    tools: section({
      timeoutMs: integer(100, 30_000, 600_000),
      timeoutsMs: { type: "object", additionalProperties: { type: "integer", minimum: 100, maximum: 600_000 }, default: {} },
    }),
    log: section({
      level: { enum: ["fatal", "error", "warn", "info", "debug", "trace", "silent"], default: "info" },
    }),
    shutdown: section({
      runDeadlineMs: { ...integer(0, 30_000, 3_600_000), description: "how long runs in progress may go on after SIGTERM before they are stopped; 0 stops them at once" },
      outboxDeadlineMs: { ...integer(0, 10_000, 600_000), description: "how long replies may take to go out after the runs ended, before the channels close" },
    }),
    retention: section({
      ...Object.fromEntries(Object.entries(RETENTION_AGES).map(([name, schema]) => [name, { ...schema, default: 0 }])),
      groups: {
        type: "object",
        default: {},
        propertyNames: GROUP_FOLDER_NAMES,
        additionalProperties: { type: "object", properties: RETENTION_AGES, additionalProperties: false },
      },
    }),
  },
};
