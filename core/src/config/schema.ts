/**
 * The config file's schema and its embedded defaults. With no config file, these
 * defaults serve a first run: SQLite under ./data, the web chat on 127.0.0.1:8080,
 * the process runner with the demo harness, routes from the route table.
 */
import Type, { type Static } from "typebox";

export const DEFAULT_PLUGINS = ["web", "route-table"];

const PluginEntry = Type.Union(
  [
    Type.String({ minLength: 1 }),
    Type.Object(
      {
        /** Short name (`web`), package name or path of the plugin. */
        use: Type.String({ minLength: 1 }),
        config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      },
      { additionalProperties: false },
    ),
  ],
  { description: "a plugin name or path, or { use, config }" },
);

const Admission = Type.Object(
  {
    /** `open`: anyone may start runs; `allowlist`: only senders or chats listed in `allow`. */
    policy: Type.Enum(["open", "allowlist"]),
    /** Sender or chat JIDs; `*` at the end matches any rest. */
    allow: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    /** Data folder: database, group folders, admin socket. Relative to the config file. */
    data: Type.String({ minLength: 1, default: "./data" }),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1, default: "127.0.0.1" }),
        /** 0 picks a free port. */
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Allows listening on a non-loopback address without authentication. */
    insecure: Type.Boolean({ default: false }),
    plugins: Type.Array(PluginEntry, { default: DEFAULT_PLUGINS }),
    runner: Type.Object(
      {
        kind: Type.Enum(["process"], { default: "process" }),
        /** Command that starts the agent runner; defaults to the bundled @arizuko/agent. */
        command: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
        /** A run still going after this long is stopped, then killed. */
        timeoutMs: Type.Integer({ minimum: 100, default: 600_000 }),
        /** Time between `stop` and killing the runner. */
        stopGraceMs: Type.Integer({ minimum: 0, default: 5_000 }),
        /** Time the runner has to send `hello` after it starts. */
        helloTimeoutMs: Type.Integer({ minimum: 100, default: 15_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    agent: Type.Object(
      {
        /** Harness inside the agent runner: `demo` answers deterministically. */
        harness: Type.String({ minLength: 1, default: "demo" }),
        options: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
      },
      { additionalProperties: false, default: {} },
    ),
    queue: Type.Object(
      {
        /** Runs in flight at once across all units. */
        maxConcurrentRuns: Type.Integer({ minimum: 1, default: 4 }),
        /** Most pending messages one run takes. */
        maxBatch: Type.Integer({ minimum: 1, default: 50 }),
        /** Most context rows (chatter, earlier replies) a run's batch carries. */
        contextMessages: Type.Integer({ minimum: 0, default: 20 }),
      },
      { additionalProperties: false, default: {} },
    ),
    breaker: Type.Object(
      {
        /** Consecutive failed runs that pause a group. */
        failures: Type.Integer({ minimum: 1, default: 3 }),
        /** How long a paused group waits before one run may try again. */
        cooldownMs: Type.Integer({ minimum: 100, default: 300_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    hooks: Type.Object(
      {
        /** Per-hook timeouts in milliseconds replacing the defaults (docs/plugins.md lists them), e.g. `{ onEnrich: 120000 }`. */
        timeoutsMs: Type.Record(Type.String(), Type.Integer({ minimum: 1, maximum: 600_000 }), { default: {} }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Admission policy per platform (`web`, `telegram`, …). Unlisted platforms: `web` is open, others allow nobody. */
    admission: Type.Record(Type.String(), Admission, { default: {} }),
    log: Type.Object(
      {
        level: Type.Enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], { default: "info" }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type PluginEntryConfig = Static<typeof PluginEntry>;
