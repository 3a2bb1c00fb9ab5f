/**
 * The kernel: wires the store, hooks, registries, pipeline and runner, loads the
 * plugins, and runs the instance. `boot()` prepares everything (also for a one-off CLI
 * command when no instance runs); `start()` recovers from the last stop and opens
 * the doors: HTTP, channels, the admin socket.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import type { Server } from "node:net";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { tablePrefix, type CliCommand, type RoutingApi, type RunsApi, type InstanceApi, type SubmitInput } from "@arizuko/sdk";
import { DockerRunner } from "./agent/docker-runner.js";
import { ModelProxy } from "./agent/model-proxy.js";
import { agentProfile, configuredHarnesses } from "./agent/profile.js";
import { ProcessRunner } from "./agent/process-runner.js";
import type { Runner } from "./agent/runner.js";
import { listenAdminSocket } from "./cli/admin-socket.js";
import { coreCommands } from "./cli/core-commands.js";
import { runCommandLine, type CliResult, type ProgressSink } from "./cli/program.js";
import type { ResolvedConfig } from "./config/load.js";
import { describe, errors } from "./errors.js";
import { GroupService, SEEDED_GROUP } from "./groups/groups.js";
import { Hooks } from "./hooks/hooks.js";
import { HttpRoutes } from "./http/routes.js";
import { createServer, isLoopback, trackRoutes, type ServedRoute } from "./http/server.js";
import { rejectWritesWhileStopping } from "./http/draining.js";
import { Admission } from "./pipeline/admission.js";
import { routingService, runsService } from "./pipeline/routing.js";
import { adminToken } from "./http/admin-token.js";
import { Breaker } from "./pipeline/breaker.js";
import { ChannelRegistry } from "./pipeline/channels.js";
import { TypingIndicators } from "./pipeline/typing.js";
import { scrubber, secretValues } from "./secrets.js";
import { Delivery } from "./pipeline/delivery.js";
import { Executor } from "./pipeline/executor.js";
import { Inbound } from "./pipeline/inbound.js";
import { Intake } from "./pipeline/intake.js";
import { Outbound } from "./pipeline/outbound.js";
import { RunQueue } from "./pipeline/queue.js";
import { recoverRuns, recoverUnrouted } from "./pipeline/recovery.js";
import { createHost } from "./plugins/host.js";
import { loadPlugins, type EmbeddedPlugin, type LoadedPlugin } from "./plugins/loader.js";
import { Registries } from "./plugins/registries.js";
import { CORE_OWNER, FatalCollision } from "./plugins/registry.js";
import { PluginScope } from "./plugins/scope.js";
import { PluginStatuses } from "./plugins/status.js";
import { GrantsService } from "./grants/service.js";
import { builtinTools } from "./tools/builtin/index.js";
import { ToolCalls } from "./tools/calls.js";
import { ToolEndpoints } from "./tools/endpoint.js";
import { Store } from "./store/index.js";
import { migrate } from "./store/migrate.js";
import { registerHealthRoutes } from "./http/health.js";
import { registerApiDocs } from "./http/api-docs.js";
import { operatorRefusal } from "./auth/operator.js";
import { backupCommand } from "./cli/backup.js";
import { Metrics } from "./metrics.js";
import { migrationsDir } from "./plugins/migrations-dir.js";
import { builtinProviders, providerProblems } from "./auth/builtin-providers.js";
import { registerProviderRoutes } from "./auth/provider-routes.js";
import { registerAuthRoutes } from "./auth/routes.js";
import { registerPairingRoutes } from "./http/pairing-routes.js";
import { People } from "./auth/people.js";
import { instanceApi } from "./instance.js";
import { AuthService } from "./auth/service.js";
import { signingKey } from "./auth/signing-key.js";
import { userCommand } from "./auth/user-commands.js";
import { Retention } from "./retention/prune.js";
import { Erasure } from "./retention/erasure.js";
import { deleteEvent, type DeletedSink } from "./retention/deleted.js";
import { chatCommand, personSubcommands } from "./retention/commands.js";

/** How often expired refresh tokens and data past its retention age are deleted. */
const DAY_MS = 86_400_000;

/** `server` runs the instance; `offline` boots only far enough to run one CLI command. */
export type KernelMode = "server" | "offline";

export interface BootOptions {
  /** Plugins given as definitions, loaded after the configured ones (embedding, tests). */
  plugins?: EmbeddedPlugin[];
  /** A runner to use instead of the one the config names (embedding, benchmarks). */
  runner?: Runner;
}

/** This package's version, for the MCP server's identity. */
const CORE_VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** Maximum time a plugin's register() may take. */
export const REGISTER_TIMEOUT_MS = 30_000;
/** At shutdown, how long routing of messages already accepted may take. */
export const SHUTDOWN_INTAKE_WAIT_MS = 5_000;
/** At shutdown, time a runner has to exit beyond its grace before the host moves on. */
export const RUNNER_EXIT_SLACK_MS = 2_000;

export class Kernel {
  readonly hooks: Hooks;
  readonly statuses: PluginStatuses;
  /** Users, sign-in and tokens. */
  readonly auth: AuthService;
  /** Users as plugins, admission and grants see them. */
  readonly people: People;
  /** The instance as the dashboard reads it. */
  readonly instance: InstanceApi;
  private startedAt = Date.now();
  private pruneTimer: NodeJS.Timeout | null = null;
  /** Deletes stored data past the ages of the config's `retention`. */
  readonly retention: Retention;
  /** Purges a chat's, a group's or a person's stored data. */
  readonly erasure: Erasure;
  readonly registries = new Registries();
  readonly groups: GroupService;
  readonly server: FastifyInstance;
  /** Every route the server has, as fastify added it (HEAD twins included). */
  readonly servedRoutes: () => ServedRoute[];
  readonly channels: ChannelRegistry;
  readonly delivery: Delivery;
  readonly outbound: Outbound;
  readonly breaker: Breaker;
  readonly runner: Runner;
  readonly executor: Executor;
  readonly queue: RunQueue;
  readonly intake: Intake;
  readonly inbound: Inbound;
  readonly admission: Admission;
  private readonly typing: TypingIndicators;
  readonly grants: GrantsService;
  readonly toolCalls: ToolCalls;
  readonly toolEndpoints: ToolEndpoints;
  readonly models: ModelProxy;
  readonly routing: RoutingApi;
  readonly runs: RunsApi;
  /** Prometheus counters and gauges served at /metrics. */
  readonly metrics: Metrics;

  /** HTTP routes by owner; `arizuko plugins --details` lists them. */
  readonly http: HttpRoutes;
  private readonly scopes = new Map<string, PluginScope>();
  private adminSocket: Server | null = null;
  private runnerCheck: Promise<unknown> | null = null;
  private ready = false;
  private stopping: Promise<void> | null = null;
  /** Base URL the server listens on, once started. */
  url: string | null = null;

  /** The kernel's own log lines (`plugin: core`). */
  readonly log: Logger;

  /**
   * @param root the root logger; components that log on behalf of a plugin (hooks,
   *   channels, delivery, plugin hosts) add `plugin` themselves, the rest log as core.
   */
  private constructor(
    readonly store: Store,
    readonly resolved: ResolvedConfig,
    readonly mode: KernelMode,
    private readonly root: Logger,
    runner?: Runner,
  ) {
    const { config } = resolved;
    const log = root.child({ plugin: "core" });
    this.log = log;
    const scrub = scrubber(secretValues(config));
    this.statuses = new PluginStatuses((event) => void this.hooks.observe("onPluginError", event), scrub);
    this.statuses.set("core", { state: "ok", source: "core", version: null });
    this.metrics = new Metrics({ queueDepth: () => this.instance.queueDepth(), activeRuns: () => this.executor.running });
    this.hooks = new Hooks(
      root,
      (failure) => {
        this.metrics.pluginFailed(failure.plugin, failure.hook);
        return failure.policy === "log" ? this.statuses.count(failure.plugin) : this.statuses.degrade(failure.plugin, failure.hook, failure.error);
      },
      config.hooks.timeoutsMs,
    );
    this.groups = new GroupService(store, resolved.dataDir);
    this.server = createServer(root, config.http.trustProxy);
    rejectWritesWhileStopping(this.server, () => this.stopping !== null);
    this.servedRoutes = trackRoutes(this.server);
    const admin = () => adminToken(resolved.dataDir);
    const authenticate = async (user: string, provider: string) => (await this.hooks.gate("onAuthenticate", { user, provider }))?.deny ?? null;
    const created = (user: string) => void this.hooks.observe("onUserCreated", { user });
    this.auth = new AuthService(store.db, signingKey(resolved.dataDir), config.auth, log.child({ component: "auth" }), authenticate, created);
    this.http = new HttpRoutes(this.server, (request) => operatorRefusal(request, this.auth, admin));
    this.people = new People(this.auth, this.groups, admin);
    const deleted: DeletedSink = (reason, messages) => void this.hooks.observe("afterDelete", deleteEvent(reason, messages));
    this.erasure = new Erasure(store, this.auth, this.people, (folder) => this.groups.path(folder), deleted);

    this.channels = new ChannelRegistry(store, this.hooks, root, (entry, message) => this.inbound.accept(entry, message), scrub);
    this.delivery = new Delivery(store, this.channels, this.hooks, root);
    this.channels.onAvailable = (entry) => this.delivery.channelAvailable(entry);
    this.outbound = new Outbound(store, this.channels, this.hooks, this.delivery);
    this.breaker = new Breaker(store, config.breaker, this.outbound, log);
    this.runner = runner ?? this.configuredRunner(log);
    this.grants = new GrantsService(store.db, this.registries.services, config.grants.operatorGroup, log);
    this.toolCalls = new ToolCalls(this.registries.tools, this.grants, this.hooks, store, config.tools, log);
    this.toolEndpoints = new ToolEndpoints(resolved.dataDir, this.toolCalls, CORE_VERSION, log);
    this.models = new ModelProxy(resolved.dataDir, log);
    this.executor = new Executor(
      store,
      this.hooks,
      this.runner,
      this.outbound,
      this.breaker,
      this.groups,
      {
        timeoutMs: config.runner.timeoutMs,
        stopGraceMs: config.runner.stopGraceMs,
        idleTimeoutMs: config.runner.idleTimeoutMs,
        maxBatch: config.queue.maxBatch,
        contextMessages: config.queue.contextMessages,
        profile: (folder) => agentProfile(config, folder),
      },
      log,
      this.toolEndpoints,
      (message) => this.admission.roleOf(message),
      this.models,
    );
    this.queue = new RunQueue(store, this.executor, this.breaker, config.queue.maxConcurrentRuns, log);
    this.breaker.onReopen = (group) => this.queue.notifyGroup(group);
    this.admission = new Admission(store, config, this.outbound, log, (sender) => this.people.bySender(sender));
    this.instance = instanceApi({
      store,
      version: CORE_VERSION,
      startedAt: () => this.startedAt,
      statuses: this.statuses,
      admission: this.admission,
      groups: this.groups,
      grants: this.grants,
    });
    this.typing = new TypingIndicators(this.channels, root);
    this.intake = new Intake(store, this.hooks, this.groups, this.outbound, this.queue, this.admission, config.routing.maxDelegationDepth, log);
    this.routing = routingService(store, this.intake, this.channels, this.admission);
    this.runs = runsService(store, this.queue, this.executor, this.intake);
    this.inbound = new Inbound(store, this.hooks, log);
    this.inbound.afterCommit = (message, entry) => this.intake.submit(message, entry.channel.name);
    this.retention = new Retention(store, config.retention, {
      groupPath: (folder) => this.groups.path(folder),
      log: log.child({ component: "retention" }),
      onPruned: (counts) => this.metrics.retentionPruned(counts),
      onDeleted: deleted,
    });
  }

  private configuredRunner(log: Logger): Runner {
    const { runner } = this.resolved.config;
    const warm = { helloTimeoutMs: runner.helloTimeoutMs, keepWarmMs: runner.keepWarmMs, maxRunners: runner.maxRunners };
    if (runner.kind === "process") return new ProcessRunner({ command: runner.command, ...warm, log });
    // The store's epoch is set by seed() on first boot; the labels need it now.
    if (this.store.meta.get("epoch") === null) this.store.meta.set("epoch", randomUUID());
    return new DockerRunner({ ...runner.docker, ...warm, instance: this.store.meta.get("epoch")!, log });
  }

  /** Opens the store, seeds a first run, and loads and registers the plugins. */
  static async boot(resolved: ResolvedConfig, mode: KernelMode, log: Logger, options: BootOptions = {}): Promise<Kernel> {
    mkdirSync(resolved.dataDir, { recursive: true });
    const store = await Store.open(resolved.dataDir, log.child({ plugin: "core" }));
    const kernel = new Kernel(store, resolved, mode, log, options.runner);
    // The agent runner check of start() begins now, beside plugin loading.
    if (mode === "server") kernel.runnerCheck = kernel.checkRunner();
    try {
      kernel.seed();
      await registerApiDocs(kernel.server, CORE_VERSION);
      kernel.registerCore();
      await kernel.loadPlugins(options.plugins ?? []);
      return kernel;
    } catch (error) {
      await kernel.stop("boot failed");
      throw error;
    }
  }

  private checkRunner(): Promise<unknown> {
    const check = this.runner.check(configuredHarnesses(this.resolved.config), this.resolved.dataDir);
    check.catch(() => undefined); // awaited in start(); this only keeps it from counting as unhandled
    return check;
  }

  /** First run: an epoch id for the store, and the `main` group. */
  private seed(): void {
    if (this.store.meta.get("epoch") === null) this.store.meta.set("epoch", randomUUID());
    if (this.store.meta.get("seeded") !== null) return;
    if (!this.groups.exists(SEEDED_GROUP)) this.groups.add(SEEDED_GROUP, "Main");
    this.store.meta.set("seeded", new Date().toISOString());
    this.log.info({ group: SEEDED_GROUP, path: this.groups.path(SEEDED_GROUP) }, "first run: created group main");
  }

  private registerCore(): void {
    this.admission.tap(this.hooks);
    this.grants.tap(this.hooks);
    this.typing.tap(this.hooks);
    this.metrics.tap(this.hooks);
    this.metrics.register(this.http, CORE_OWNER);
    const kit = {
      store: this.store,
      outbound: this.outbound,
      channels: this.channels,
      groups: this.groups,
      grants: this.grants,
      intake: this.intake,
      routing: this.routing,
      runs: this.runs,
      services: this.registries.services,
      log: this.log,
    };
    for (const tool of builtinTools(kit, this.resolved.config.grants.operatorGroup)) this.registries.tools.claim(tool.name, CORE_OWNER, tool);
    registerHealthRoutes(this.http, CORE_OWNER, () => this.health(), () => this.ready);
    registerAuthRoutes(this.http, CORE_OWNER, this.auth, () => adminToken(this.resolved.dataDir));
    registerPairingRoutes(this.http, CORE_OWNER, this.admission);
    const problems = providerProblems(this.resolved.config.auth.providers);
    if (problems.length > 0) throw errors.configInvalid(this.resolved.file ?? "the built-in defaults", problems);
    for (const provider of builtinProviders(this.resolved.config.auth.providers)) this.registries.auth.claim(provider.id, CORE_OWNER, provider);
    const providers = () => this.registries.auth.entriesList().map(([, entry]) => entry.value);
    registerProviderRoutes(this.http, CORE_OWNER, this.auth, providers, () => adminToken(this.resolved.dataDir));
    const backup = backupCommand(() => this.store.db, this.resolved.dataDir);
    const user = userCommand(this.auth, this.groups);
    user.subcommands!.push(...personSubcommands(this.erasure));
    for (const command of [...coreCommands(this), user, chatCommand(this.erasure), backup]) this.registries.cli.claim(command.name, CORE_OWNER, command);
  }

  private async loadPlugins(embedded: EmbeddedPlugin[]): Promise<void> {
    const { plugins, failures } = await loadPlugins(this.resolved.config.plugins, this.resolved.baseDir, embedded);
    for (const failure of failures) {
      this.statuses.fail(failure.name, failure.error, { source: failure.source, version: failure.version });
      this.root.error({ plugin: failure.name, source: failure.source, err: failure.error }, "plugin failed to load; the others start");
    }
    for (const plugin of plugins) await this.registerPlugin(plugin);
  }

  private async registerPlugin(plugin: LoadedPlugin): Promise<void> {
    const { definition, owner } = plugin;
    const name = definition.name;
    this.statuses.set(name, { state: "loading", source: plugin.source, version: definition.version ?? null });

    const missing = (definition.dependencies ?? []).find((dependency) => !this.statuses.isRunning(dependency));
    if (missing) return this.failPlugin(name, errors.pluginDependency(name, missing, "failed").message);

    const scope = new PluginScope(name, this.root);
    this.scopes.set(name, scope);
    try {
      if (definition.migrations) {
        const dir = migrationsDir(definition.migrations);
        const applied = await migrate(this.store.db, { owner: name, dir, prefix: tablePrefix(name) }, this.root.child({ plugin: name }));
        this.store.applied.push(...applied.map((file) => `${name}/${file}`));
      }
      const host = createHost(this.hostContext(), owner, scope);
      await this.withTimeout(Promise.resolve().then(() => definition.register(host, plugin.config as never)), name, "register()");
      this.statuses.setState(name, "ok");
      this.root.info({ plugin: name, version: definition.version, source: plugin.source }, "plugin registered");
    } catch (error) {
      if (error instanceof FatalCollision) throw error;
      await this.failPlugin(name, describe(error));
    }
  }

  private hostContext() {
    return {
      store: this.store,
      hooks: this.hooks,
      registries: this.registries,
      channels: this.channels,
      http: this.http,
      groups: this.groups,
      statuses: this.statuses,
      runs: this.runs,
      inject: (input: SubmitInput, plugin: string) => this.intake.inject(input, plugin),
      routing: this.routing,
      users: this.people,
      instance: this.instance,
      dataDir: this.resolved.dataDir,
      log: this.root,
    };
  }

  private withTimeout<T>(promise: Promise<T>, plugin: string, step: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(errors.pluginTimeout(plugin, step, REGISTER_TIMEOUT_MS)), REGISTER_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Marks a plugin failed and undoes everything it registered; the host keeps running. */
  async failPlugin(name: string, error: string): Promise<void> {
    this.root.error({ plugin: name, err: error }, "plugin failed; the others keep running");
    this.statuses.fail(name, error);
    await this.scopes.get(name)?.dispose();
  }

  /** Marks a plugin degraded because one of its channels could not start; its other channels keep running. */
  private degradeChannel(plugin: string, channel: string, error: string): void {
    this.root.error({ plugin, channel, err: error }, "channel failed to start; the plugin's other channels keep running");
    this.statuses.degradeChannel(plugin, channel, error);
  }

  /** Recovers from the last stop and starts serving. Server mode only. */
  async start(): Promise<string> {
    const { config } = this.resolved;
    // Accounts make the web chat ask for sign-in (and the admin API always needs a credential).
    if (!isLoopback(config.http.host) && !config.insecure && !this.auth.users.any()) throw errors.insecureBind(config.http.host);
    if (this.runner instanceof ProcessRunner) {
      this.log.warn("process runner: agents run as plain child processes of this host, with no isolation; fine for development, not for untrusted users");
    }
    await this.hooks.observe("onBoot", { dataDir: this.resolved.dataDir });

    // 1. The agent runner starts and offers the configured harness, else nothing would be
    //    answered. The check runs beside the next steps and is awaited before opening up.
    const runnerChecked = this.runnerCheck ?? this.runner.check(configuredHarnesses(config), this.resolved.dataDir);

    // 2. Runs interrupted by the last stop, before anything new arrives; their sockets go.
    await this.runner.cleanup?.();
    recoverRuns(this.store, this.runner, this.log);
    this.toolEndpoints.sweep();

    // 3. HTTP; no plugin can add routes after this. /ready stays 503 until the end.
    this.http.close();
    try {
      this.url = await this.server.listen({ host: config.http.host, port: config.http.port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw errors.portInUse(config.http.host, config.http.port);
      throw error;
    }
    this.url = this.url.replace("[::1]", "localhost");

    await runnerChecked;

    // 4. Channels. One that fails to start fails its plugin only. A plugin with other
    //    channels running (several bots of one platform) stays up, degraded, and the
    //    failed channel stays disconnected with its error.
    // TODO: retry a failed channel start with backoff, so an outage at boot does not last until a restart.
    const failedPlugins = new Map<string, string[]>();
    for (const { owner, channel, error, siblingsRunning } of await this.channels.startAll()) {
      if (siblingsRunning) this.degradeChannel(owner.name, channel, describe(error));
      else failedPlugins.set(owner.name, [...(failedPlugins.get(owner.name) ?? []), describe(error)]);
    }
    // A plugin whose every channel failed keeps each channel's error, not only the last.
    for (const [plugin, failures] of failedPlugins) await this.failPlugin(plugin, [...new Set(failures)].join("; "));

    // 5. Work left from before the stop.
    this.breaker.restore();
    // Expired refresh tokens are of no use; without this the table grows by one row per refresh.
    // Retention runs after recovery, so messages it requeued count as open work and stay.
    this.auth.refreshTokens.prune();
    this.pruneRetention();
    this.pruneTimer = setInterval(() => {
      this.auth.refreshTokens.prune();
      this.pruneRetention();
    }, DAY_MS).unref();
    recoverUnrouted(this.store, this.channels, this.intake, this.log);
    this.queue.notifyAll();
    this.delivery.kickAll();

    this.adminSocket = await listenAdminSocket(this.resolved.dataDir, (argv, print) => this.runAdminCommand(argv, print), this.log);
    adminToken(this.resolved.dataDir); // the operator token exists before any operator request
    this.ready = true;
    this.startedAt = Date.now();
    void this.hooks.observe("onReady", { url: this.url });
    this.log.info({ url: this.url, dataDir: this.resolved.dataDir }, "arizuko is ready");
    return this.url;
  }

  /** Starts a retention prune in the background; a failure is logged and the next day tries again. */
  private pruneRetention(): void {
    // A mistyped folder would keep that group's data for the default ages without a word.
    for (const folder of Object.keys(this.resolved.config.retention.groups)) {
      if (!this.groups.exists(folder)) this.log.warn({ group: folder }, `retention.groups.${folder} names no group; check the folder (arizuko group list)`);
    }
    this.retention.prune().catch((error: unknown) => this.log.error({ err: error }, "retention prune failed; it runs again in a day (check the database and the group folders' permissions)"));
  }

  /** HTTP routes plugins and the core registered, as `METHOD /path` with their owner. */
  httpRoutes(): Array<{ route: string; plugin: string }> {
    return this.http.list();
  }

  /** Runs one CLI command line inside this host; what the command prints while it runs goes to `print`. */
  async runCli(argv: string[], print?: ProgressSink): Promise<CliResult> {
    const commands = this.registries.cli.entriesList().map(([, entry]) => entry.value);
    const unavailable = this.failedPluginCommand(argv[0], commands);
    if (unavailable) return { exitCode: 1, stdout: "", stderr: unavailable };
    return runCommandLine(commands, argv, this.mode === "offline", print);
  }

  /**
   * Explains a command that is missing because the plugin of the same name failed
   * (its registrations were undone), instead of commander's "unknown command".
   */
  private failedPluginCommand(name: string | undefined, commands: CliCommand[]): string | null {
    if (!name || commands.some((command) => command.name === name)) return null;
    const status = this.statuses.get(name);
    if (status?.state !== "failed") return null;
    const where = this.mode === "server" ? "the running instance" : "this instance";
    return `error: \`arizuko ${name}\` is unavailable in ${where}: plugin ${name} failed (${status.error ?? "no error recorded"}). Stop arizuko, run the command again, then start arizuko.\n`;
  }

  /** Closes a group's breaker; returns false when it was not paused. */
  resumeGroup(folder: string): boolean {
    const group = this.store.groups.get(folder);
    if (!group) throw errors.groupNotFound(folder);
    if (group.breaker === "closed" && group.failureStreak === 0) return false;
    this.breaker.resume(folder);
    return true;
  }

  health(): {
    status: "ok" | "degraded";
    healthy: boolean;
    plugins: Record<string, { state: string; error?: string }>;
    channels: Record<string, { state: string; detail: string | null; lastInboundAt: string | null }>;
  } {
    const plugins: Record<string, { state: string; error?: string }> = {};
    for (const [name, status] of this.statuses.all()) {
      if (name === "core") continue;
      plugins[name] = status.error ? { state: status.state, error: status.error } : { state: status.state };
    }
    const channels: Record<string, { state: string; detail: string | null; lastInboundAt: string | null }> = {};
    for (const channel of this.channels.list()) {
      const lastInboundAt = channel.lastInboundAt === null ? null : new Date(channel.lastInboundAt).toISOString();
      channels[channel.name] = { state: channel.state, detail: channel.detail, lastInboundAt };
    }
    return { status: this.statuses.anyUnhealthy() ? "degraded" : "ok", healthy: this.store.healthy(), plugins, channels };
  }

  /** Stops everything in reverse order of start; safe to call twice. */
  /**
   * Runs a command that came through the admin socket, and records in the audit log each
   * one that succeeded and may have changed something, beside the dashboard's actions.
   */
  private async runAdminCommand(argv: string[], print: ProgressSink): Promise<CliResult> {
    const result = await this.runCli(argv, print);
    if (result.exitCode === 0 && changesState(argv)) {
      // The target is the first argument that is not an option, so `group rm --purge X` records X.
      const rest = argv.slice(2);
      const index = rest.findIndex((arg) => !arg.startsWith("-"));
      const target = index === -1 ? "" : rest[index]!;
      const detail = rest.filter((_, position) => position !== index).join(" ");
      this.instance.audit.record({ actor: "cli", action: argv.slice(0, 2).join(" "), target, detail: detail || null });
    }
    return result;
  }

  stop(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  /**
   * The graceful stop. First no new work: writes over HTTP get 503 and no run starts.
   * Runs in progress then have `shutdown.runDeadlineMs` to finish; later ones are
   * stopped, and killed after the runner's grace. Replies then have
   * `shutdown.outboxDeadlineMs` to go out, and only then do channels close. Messages
   * that arrive meanwhile are stored and run after the next start; what stays in the
   * outbox is sent then.
   */
  private async shutdown(reason: string): Promise<void> {
    const { shutdown: limits, runner } = this.resolved.config;
    this.ready = false;
    this.log.info({ reason, runs: this.executor.running }, "arizuko stopping: no new runs; runs in progress may finish");
    await this.hooks.observe("onShutdown", { reason });
    this.adminSocket?.close();

    // 1. No new work: routing of what was accepted completes, but no run starts.
    this.executor.close();
    const runsEnded = this.queue.drain();
    await withinMs(this.intake.idle(), SHUTDOWN_INTAKE_WAIT_MS);

    // 2. Runs in progress finish, or are stopped at the deadline and killed after the grace.
    if (!(await withinMs(runsEnded, limits.runDeadlineMs))) {
      const stopped = this.executor.stop("shutdown");
      this.log.warn({ runs: stopped, deadlineMs: limits.runDeadlineMs }, "runs still going at the shutdown deadline were asked to stop");
      if (!(await withinMs(runsEnded, runner.stopGraceMs + RUNNER_EXIT_SLACK_MS))) {
        this.log.warn("runs that did not stop were killed; the next start runs their messages again");
        this.executor.killAll();
        await withinMs(runsEnded, RUNNER_EXIT_SLACK_MS);
      }
    }
    this.typing.stopAll();

    // 3. Replies go out while the channels are still up.
    const left = await this.delivery.flush(Date.now() + limits.outboxDeadlineMs);
    this.delivery.stop();
    if (left.length > 0) this.log.warn({ chats: left }, "replies left in the outbox at shutdown; they are sent after the next start");
    else this.log.info("outbox flushed");

    // 4. Channels close, then everything else.
    await this.channels.stopAll();
    await this.runner.shutdown?.();
    await this.toolEndpoints.closeAll();
    await this.models.closeAll();
    this.breaker.stop();
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.retention.stop();

    for (const scope of [...this.scopes.values()].reverse()) await scope.dispose();
    for (const [name, status] of this.statuses.all()) if (status.state !== "failed" && name !== "core") this.statuses.setState(name, "stopped");
    await this.server.close();
    this.store.close();
    this.log.info({ reason }, "arizuko stopped");
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise. */
function withinMs(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Subcommands that only read, and commands that change nothing in the store. */
const READ_ONLY_SUBCOMMANDS = new Set(["list", "show", "check", "explain", "shares", "identities"]);
const READ_ONLY_COMMANDS = new Set(["plugins", "migrate", "start", "backup", "doctor"]);

/** Tells whether a CLI command may change the instance (so it belongs in the audit log). */
function changesState(argv: string[]): boolean {
  if (argv.length === 0 || argv.some((arg) => arg === "--help" || arg === "-h")) return false;
  if (READ_ONLY_COMMANDS.has(argv[0]!)) return false;
  return argv[1] !== undefined && !READ_ONLY_SUBCOMMANDS.has(argv[1]);
}
