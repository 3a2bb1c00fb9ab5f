/**
 * The host API a plugin receives in `register(host, config)`. Every registration
 * returns a `Disposer`; the host calls them all when the plugin stops or fails, so a
 * plugin never leaks a tap, route, tool or timer.
 */
import type { Database } from "better-sqlite3";
import type { FastifyReply, FastifyRequest, FastifySchema, HTTPMethods, RouteShorthandOptions } from "fastify";
import type { Logger } from "pino";
import type { TSchema } from "typebox";
import type { Channel, ChannelCapabilities, ChannelState } from "./channel.js";
import type { Disposer, EnrichedFile, HostHooks, RunUnit, SenderRole, ToolCallVerdict } from "./hooks.js";
import type { StoredMessage, Verb } from "./messages.js";

/** A chat command, e.g. `/status`. Registered names are unique across plugins. */
export interface CommandSpec {
  /** Name without the slash, `[a-z][a-z0-9_]{0,31}`. */
  name: string;
  /** One line for `/help` and platform command menus. */
  description: string;
  /** Only senders with the operator role may run it. */
  operatorOnly?: boolean;
  run(context: CommandContext): Promise<string | void> | string | void;
}

export interface CommandContext {
  message: StoredMessage;
  /** Text after the command name, trimmed. */
  args: string;
  senderRole: SenderRole;
}

/**
 * An MCP tool offered to agents. Before `run`, the host validates the arguments against
 * `inputSchema`, fills in `defaults`, and checks grants (`beforeToolCall`): a denied call
 * never reaches `run`. Return a string (shown as text) or a JSON value; throw to fail
 * the call, and the error's message reaches the agent.
 */
export interface ToolSpec {
  /** `[a-z][a-z0-9_]{0,63}`, unique across plugins. */
  name: string;
  /** When to use the tool, and which sibling covers the neighbouring case: agents choose by it. */
  description: string;
  /** JSON Schema of the arguments, an object schema (a TypeBox `Type.Object` is one). */
  inputSchema: TSchema | Record<string, unknown>;
  /**
   * Values for arguments the agent left out, from the run (e.g. `chat` = the run's chat).
   * They are filled in before grants see the call, so rules on them hold.
   */
  defaults?(context: ToolContext): Record<string, unknown>;
  /**
   * Params grants see besides the arguments, computed from them: e.g. the `platform` a
   * route match names, so `add_route(platform=web)` can allow web routes only.
   */
  grantParams?(args: Record<string, unknown>): Record<string, string>;
  /** Milliseconds a call may take before it fails with a timeout; default 30000 (config `tools.timeoutsMs` wins). */
  timeoutMs?: number;
  run(args: Record<string, unknown>, context: ToolContext): Promise<unknown> | unknown;
}

/** The caller: the run behind the MCP socket, never anything the agent claims. */
export interface ToolContext {
  runId: string;
  group: string;
  /** The run's chat. */
  chat: string;
  /** The run's topic (its session key). */
  topic: string;
  /** The platform thread the run's replies go to; differs from `topic` for `#name` topics. */
  thread: string;
  /** Platform id of the newest message of the run's batch, or null. */
  latestMessage: string | null;
  senderRole: SenderRole;
  /** The group that delegated the run's messages, or null. */
  delegatedBy: string | null;
  /** Aborted when the call times out or the run ends. */
  signal: AbortSignal;
}

/** fastify's route schema plus the OpenAPI fields `/docs` shows for the operation. */
export interface RouteSchema extends FastifySchema {
  /** One line: what the route does. */
  summary?: string;
  /** Longer text: who may call it, what it returns, what to do on each error. */
  description?: string;
  /** Default: the plugin's name. */
  tags?: readonly string[];
  /** Credentials the route accepts; `SECURITY` lists the ones `/docs` declares. */
  security?: ReadonlyArray<{ [scheme: string]: readonly string[] }>;
  deprecated?: boolean;
  /** The request may leave out the body that `body` describes; /docs then marks it not required. */
  bodyOptional?: boolean;
}

/** Request parts of a route's `schema` that fastify validates unless `documentOnly` lists them. */
export type HttpRequestPart = "body" | "querystring" | "params" | "headers";

/**
 * A fastify route; `method` + `url` are unique across plugins.
 *
 * `schema` is fastify's route schema, and `/docs` publishes it as the route's OpenAPI
 * operation: `summary`, `description` and `tags` (default: the plugin's name), `params`,
 * `querystring`, `headers` and `body` (JSON Schema, e.g. TypeBox), and `response` by
 * status code. A response with another media type uses `content`, e.g.
 * `{ 200: { description, content: { "text/html": { schema: { type: "string" } } } } }`.
 * Response schemas only document: the host serializes replies with `JSON.stringify`,
 * so they never drop a field. A route without `schema` is still listed, marked as
 * undescribed.
 */
export interface HttpRoute extends RouteShorthandOptions {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  /**
   * Parts of `schema` that only document the request. fastify does not validate them,
   * because the handler validates them itself and returns its own error messages.
   */
  documentOnly?: HttpRequestPart[];
  schema?: RouteSchema;
  /**
   * `operator`: the request needs `Authorization: Bearer <token>` with the instance's
   * admin token (`<data>/admin.token`) or an operator user's access token (or that
   * user's session cookie, with the CSRF check for writes); anything else gets 401 or 403.
   */
  auth?: "operator";
  handler(request: FastifyRequest, reply: FastifyReply): unknown;
}

/** A positional argument of a CLI command. */
export interface CliArgument {
  name: string;
  description: string;
  required?: boolean;
  variadic?: boolean;
}

/** An option of a CLI command, in commander's flag syntax: `--mode <mode>`, `-f, --force`. */
export interface CliOption {
  flags: string;
  description: string;
  default?: string | boolean;
}

/**
 * An `arizuko <name> …` command. It runs inside the host: in the running instance
 * (through the admin socket) or, when none runs, in a host booted just for the command.
 */
export interface CliCommand {
  /** `[a-z][a-z0-9-]{0,31}`; top-level names are unique across plugins. */
  name: string;
  description: string;
  arguments?: CliArgument[];
  options?: CliOption[];
  subcommands?: CliCommand[];
  /**
   * Returns the text to print, or the text and an exit code (a check whose result is "no"
   * exits 1 with the result on stdout). Throw an `ArizukoError` to fail with exit code 1.
   */
  run?(input: CliInput): Promise<CliOutput> | CliOutput;
}

export type CliOutput = string | void | { output: string; exitCode: number };

export interface CliInput {
  /** Positional arguments in declaration order; a variadic one arrives as an array. */
  args: Array<string | string[] | undefined>;
  options: Record<string, string | boolean | undefined>;
  /** True when no instance is running and the command runs in a host booted for it. */
  offline: boolean;
  /**
   * Shows `text` to the user now, before the command finishes: progress of a long
   * command, a code to scan or type. The returned output still follows at the end.
   */
  print(text: string): void;
}

/** A dashboard panel. */
export interface PanelSpec {
  id: string;
  title: string;
  /**
   * Shows the panel on a page of its own (`/dash/panels/<id>`, linked in the navigation)
   * instead of inside the Status page, whose sections reload on every change: right for a
   * panel with forms, whose typed values a reload would lose.
   */
  page?: boolean;
  /** The panel's HTML; escape what comes from users or platforms (`html` of the sdk does). */
  render(): Promise<string> | string;
}

/** The account a sign-in provider identified. */
export interface ProviderIdentity {
  /** The provider's stable id of the account; never an email or a name, which can change. */
  subject: string;
  /** A name to show, e.g. the provider's username. */
  name?: string;
}

/** An OAuth 2 authorization-code provider; the host runs the flow with PKCE and a state bound to the browser. */
export interface OAuthProviderSpec {
  authorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  /** Reads who signed in with the access token, e.g. from the provider's user endpoint. */
  identify(accessToken: string): Promise<ProviderIdentity>;
}

/**
 * A sign-in provider. It only identifies people: an identity signs in the user it was
 * linked to, and a signed-in user links a new one by signing in with the provider.
 * `onAuthenticate` may still deny the sign-in afterwards.
 */
export interface AuthProviderSpec {
  /** `[a-z][a-z0-9-]{0,31}`; the provider's URLs are `/auth/providers/<id>/start` and `/callback`. */
  id: string;
  title: string;
  oauth?: OAuthProviderSpec;
  /**
   * For providers that send signed data to the callback instead (the Telegram login
   * widget): returns who signed in, or throws an `ArizukoError` saying why not.
   */
  verify?(query: Record<string, string>): Promise<ProviderIdentity> | ProviderIdentity;
}

/** One route row of the `route-table` plugin. */
export interface RouteRow {
  id: number;
  seq: number;
  match: string;
  target: string;
  mode: "run" | "observe";
}

/** The `routes` service: the route table, offered by the `route-table` plugin. */
export interface RoutesService {
  list(): RouteRow[];
  add(row: { match: string; target: string; seq?: number; mode?: "run" | "observe" }): RouteRow;
  remove(id: number): boolean;
  /** Changes a row's position; returns the moved row, or null when there is no such id. */
  move(id: number, seq: number): RouteRow | null;
  /** The first row matching the message whose target group exists, or null. */
  match(message: StoredMessage): RouteRow | null;
  /**
   * Adds rows on behalf of group `owner`, in order: after every row that targets a
   * group outside its subtree and before the rows that target `owner` itself, so they
   * take effect without taking another group's traffic.
   */
  addOwned(owner: string, rows: Array<{ match: string; target: string; mode?: "run" | "observe" }>): RouteRow[];
}

/**
 * Services plugins offer each other by name. A plugin adds its own entries by
 * declaration merging: `declare module "@arizuko/sdk" { interface ServiceMap { … } }`.
 */
export interface ServiceMap {
  routes: RoutesService;
}

export interface GroupInfo {
  folder: string;
  name: string;
  path: string;
  /** Paused by the circuit breaker after consecutive failed runs. */
  paused: boolean;
}

export interface GroupsApi {
  exists(folder: string): boolean;
  get(folder: string): GroupInfo | null;
  list(): GroupInfo[];
}

export interface MessageQuery {
  chat: string;
  /** Only rows with a larger seq. */
  afterSeq?: number;
  /** At most this many rows, oldest first; default 100, at most 1000. */
  limit?: number;
}

/** Read access to stored messages. Writes go through channels and the pipeline only. */
export interface MessagesApi {
  bySeq(seq: number): StoredMessage | null;
  list(query: MessageQuery): StoredMessage[];
  /**
   * The message a platform id refers to in `chat`: one a sender sent with that id, or a
   * reply whose delivery got it. Reply chains follow this.
   */
  findByPlatformId(chat: string, platformId: string): StoredMessage | null;
}

/** A unit of work as `/ping` and the dashboard show it. */
export interface UnitStatus extends RunUnit {
  sessionId: string | null;
  /** Messages waiting for the unit's next run. */
  pending: number;
  running: boolean;
}

/** A prompt a plugin hands to a group as if it had arrived in a chat, such as a scheduled task's. */
export interface SubmitInput {
  /** The group that runs it; it must exist. */
  group: string;
  /** The chat the run's replies go to. */
  chat: string;
  /** Platform thread of `chat` the replies go to; default `""`, the chat itself. */
  thread?: string;
  /** Session topic of the run; default `thread`. Another topic keeps the run's session apart from the chat's. */
  topic?: string;
  /** Unique within the chat: submitting the same id again stores nothing and returns null. */
  platformId: string;
  /** The sender name the agent and the dashboard show, e.g. `scheduled task tsk_1`. */
  senderName: string;
  text: string;
  /** The role the run acts with (grants see it), e.g. the role of the task's creator. */
  role: SenderRole;
  /** The routing reason stored on the message; the plugin's name becomes its layer. */
  reason: string;
}

/** Control over agent runs, for commands like `/stop` and `/new`. */
export interface RunsApi {
  /**
   * Stores `input` as a message from the group itself (`local:<group>`) in `chat`, already
   * routed to the group's unit, and queues its run, in one transaction. Returns the
   * stored message, or null when one with this platform id exists. Throws 400 for a bad
   * chat JID and 404 for an unknown group.
   */
  submit(input: SubmitInput): StoredMessage | null;
  /**
   * Withdraws a submitted message no run has taken yet, marking it done with `reason`.
   * Returns false when a run has it or it is not pending.
   */
  withdraw(seq: number, reason: string): boolean;
  /** Asks the runs of `chat` (one topic, or all) to stop; returns how many were asked. */
  stop(chat: string, topic?: string): number;
  /** Asks one live run to stop (the dashboard's Stop button); false when no run with that id is live. */
  stopRun(runId: string): boolean;
  /**
   * Starts a fresh agent session for the units of `chat` and `topic`: at once when none
   * is running, else when the running one ends. Queued messages stay queued.
   */
  resetSession(chat: string, topic: string): "now" | "after-run";
  /** Every unit of `chat` with its session, queue and run state. */
  status(chat: string): UnitStatus[];
  /** Runs in progress. */
  active(): Array<RunUnit & { runId: string; startedAt: number }>;
  /** Chats with messages that failed since `since` (ms since the Unix epoch), newest first, at most 20. */
  failures(since: number): Array<{ chat: string; failed: number; lastAt: number }>;
}

/** What `explain` is asked about: a message as a channel would deliver it. */
export interface ExplainInput {
  chat: string;
  sender: string;
  text: string;
  topic?: string;
  verb?: Verb;
  /** Platform id of the message it replies to. */
  replyTo?: string;
}

/** What routing did, or would do, with a message, stage by stage. */
export interface Explanation {
  role: SenderRole;
  /** Why the sender may not start runs, or null when admitted. */
  denial: string | null;
  /** The control-phase plugin that handled it, and what it answers. */
  control: { plugin: string; reason: string; reply: string | null } | null;
  /** The decision after each resolution stage, in order. */
  stages: Array<{ plugin: string; stage: number; target: string | null; topic: string; layer: string | null; reason: string; mode: "run" | "observe" }>;
  /** What would be stored on the message. */
  /** `owner` is the group whose authority bounds the decision (the route table's choice), or null. */
  result: { state: string; group: string | null; owner: string | null; topic: string; layer: string; reason: string; delegatedTo: string | null };
  /** The agent session the message would join, when it would run. */
  sessionId: string | null;
}

export interface RoutingApi {
  /** The one rule of routing authority: may `owner` route or delegate to `target`? */
  mayRoute(owner: string | null, target: string): boolean;
  /** Runs admission, control and resolution on `input` without changing anything. */
  explain(input: ExplainInput): Promise<Explanation>;
  /** The role grants see for the sender of `message`. */
  senderRole(message: Pick<StoredMessage, "sender" | "chat">): SenderRole;
}

export interface ChannelInfo {
  name: string;
  plugin: string;
  prefixes: string[];
  capabilities: ChannelCapabilities;
  state: ChannelState;
  detail: string | null;
  /** When the channel last stored an inbound message (ms since the epoch), or null. */
  lastInboundAt: number | null;
  /** Whether the channel can download its attachments by ref (`fetchAttachment`). */
  fetchesAttachments: boolean;
  /** Origins its attachment URLs come from, as the channel declared them. */
  attachmentOrigins: string[];
}

export interface ChannelsApi {
  register(channel: Channel): Disposer;
  /** The channel owning a chat JID, or null. */
  forChat(chat: string): ChannelInfo | null;
  list(): ChannelInfo[];
  /** Downloads an attachment of `chat` through its channel's `fetchAttachment`; throws 404 with no such channel, 501 when it cannot. */
  fetchAttachment(chat: string, ref: string): Promise<{ data: Uint8Array; mime: string }>;
}

/** A user account as plugins see it. */
export interface UserInfo {
  id: string;
  username: string;
  role: "operator" | "user";
}

/**
 * User accounts for plugins that serve people on the web (the web chat, the dashboard).
 * Sign-in itself is the core's: `/auth/login`, `/auth/token` and the providers.
 */
export interface UsersApi {
  /** True once any account exists: the instance has sign-in, and web surfaces ask for it. */
  enabled(): boolean;
  /**
   * The signed-in user behind `request` (an access token as bearer header or in the
   * session cookie), or null when the request carries no credentials. Throws an
   * `ArizukoError` with status 401 for an invalid or expired token or the admin token,
   * and 403 when a cookie-authenticated request that changes state fails the CSRF check.
   */
  fromRequest(request: FastifyRequest): Promise<UserInfo | null>;
  /** Folders `userId` may use: its links in `user_groups`, or every group for an operator. */
  groupsOf(userId: string): string[];
  mayUse(userId: string, folder: string): boolean;
  /**
   * The user a sender JID belongs to: `web:usr_…` for the web chat, or a chat account
   * the user linked by signing in with it (`telegram:111`, `discord:222`). Null otherwise.
   */
  bySender(sender: string): UserInfo | null;
  /** The sender JID of `userId` in the web chat. */
  webSender(userId: string): string;
}

/** A plugin's state as the host reports it. */
export interface PluginInfo {
  name: string;
  state: "loading" | "ok" | "degraded" | "failed" | "stopped";
  error: string | null;
  version: string | null;
  /** Tap failures counted since start. */
  failures: number;
}

/** A pairing code sent to a stranger and not yet approved or expired. */
export interface PairingInfo {
  code: string;
  platform: string;
  sender: string;
  chat: string;
  createdAt: number;
  expiresAt: number;
}

/** One operator action, for the audit log. */
export interface AuditEntry {
  id: number;
  at: number;
  /** Who: `user:<username>`, `admin-token` or `cli`. */
  actor: string;
  action: string;
  target: string;
  detail: string | null;
}

/** A finished or running agent run, as the dashboard lists it. */
export interface RunInfo {
  id: string;
  group: string;
  chat: string;
  topic: string;
  runner: string;
  harness: string | null;
  /** `running`, or how it ended: `done`, `failed`, `timed_out`, `stopped`, `abandoned`. */
  state: string;
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  /** Cost the harness reported for the run, in US dollars, or null. */
  costUsd: number | null;
}

/** Runs of one group on one UTC day. */
export interface RunTotals {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  group: string;
  runs: number;
  failed: number;
  /** Summed duration of the finished runs. */
  durationMs: number;
  /** Summed tokens of the runs whose harness reported usage, or null when none did. */
  inputTokens: number | null;
  outputTokens: number | null;
  /** Summed cost of the runs whose harness reported one, or null when none did. */
  costUsd: number | null;
}

/** Filters of the Activity list; all optional. */
export interface ActivityQuery {
  /** Only chats of this platform (the first part of the chat JID). */
  platform?: string;
  chat?: string;
  /** Only messages routed to (or written by) this group. */
  group?: string;
  /** Only rows with a smaller seq: the next page of an older list. */
  beforeSeq?: number;
  /** At most this many rows, newest first; at most 200. */
  limit: number;
}

/** A message of the Activity list. */
export interface ActivityEntry extends StoredMessage {
  /** For an outbound message, how its platform messages fared: `failed` if any failed, `sending` while any waits, else `delivered`; null when nothing was sent. */
  delivery: "delivered" | "sending" | "failed" | null;
}

/** One MCP tool call of a run, allowed or not. Arguments are kept only as a digest. */
export interface ToolCallInfo {
  id: string;
  tool: string;
  verdict: ToolCallVerdict;
  /** The deny reason or error message; null for a call that succeeded. */
  error: string | null;
  durationMs: number;
  createdAt: number;
}

/** One platform message of a reply, as the outbox tried to send it. */
export interface DeliveryInfo {
  id: string;
  chunkIndex: number;
  chunkCount: number;
  /** `queued`, `sending`, `delivered` or `failed`. */
  state: string;
  /** Failed attempts so far; a row delivered at the first try has 0. */
  attempts: number;
  /** The last failed attempt's error (kept after a later success), or null. */
  error: string | null;
  platformMessageId: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The trace of a message: its routing, the run that took or wrote it, that run's tool calls and replies. */
export interface MessageTrace {
  message: StoredMessage;
  /** Notes enrichers added for the agent. */
  notes: string[];
  /** The attachments as enrichers left them: stored path, transcript, or why neither. */
  files: EnrichedFile[];
  run: RunInfo | null;
  toolCalls: ToolCallInfo[];
  /** The run's outbound messages (for an outbound message: itself) with their deliveries. */
  replies: Array<{ message: StoredMessage; deliveries: DeliveryInfo[] }>;
}

/** An agent session: one (group, chat, topic) unit. */
export interface SessionInfo {
  chat: string;
  topic: string;
  /** The harness's session id; null before the first run or after `/new`. */
  sessionId: string | null;
  /** Highest message seq handed to a run of this unit. */
  lastSeq: number;
  updatedAt: number;
}

/** A group's grant rules by origin, in the order they are checked. */
export interface GrantRulesInfo {
  /** Defaults derived from the group's depth and the routes that reach it. */
  derived: string[];
  /** The operator's overrides, checked after the defaults. */
  overrides: string[];
  /** Limits an agent set with `set_grants` on this group or an ancestor, the farthest first; a call must also match one of each. */
  limits: Array<{ group: string; rules: string[] }>;
}

/** The running instance as operators see it: what a dashboard shows and the few actions it takes. */
export interface InstanceApi {
  readonly version: string;
  /** When this process started serving (ms since the Unix epoch). */
  readonly startedAt: number;
  plugins(): PluginInfo[];
  /** Inbound messages waiting for routing or for their run. */
  queueDepth(): number;
  pairings: {
    pending(): PairingInfo[];
    /** Admits the sender the code was sent to; throws 404 or 410 for an unknown or expired code. */
    approve(code: string): PairingInfo;
    /** Withdraws a code that is not approved yet; false when there is no such open code. */
    reject(code: string): boolean;
  };
  runs: {
    /** Runs started in [since, until), newest first, at most `limit`; optionally of one group. */
    list(query: { since: number; until: number; group?: string; limit: number }): RunInfo[];
    /** Totals per UTC day and group of the runs started in [since, until). */
    totals(query: { since: number; until: number }): RunTotals[];
  };
  audit: {
    record(entry: Omit<AuditEntry, "id" | "at">): void;
    /** The newest entries first. */
    list(limit: number): AuditEntry[];
  };
  activity: {
    /** Messages in and out, newest first. */
    list(query: ActivityQuery): ActivityEntry[];
    /** The trace of the message with this seq, or null when there is none. */
    trace(seq: number): MessageTrace | null;
    /** Platforms that have chats, for the Activity filter. */
    platforms(): string[];
  };
  groups: {
    /** Creates a group from the template; throws 400 for a bad folder or name or a missing parent, 409 when it exists. */
    create(folder: string, name?: string): GroupInfo;
    /** Changes a group's display name; throws 404 for an unknown group. */
    rename(folder: string, name: string): GroupInfo;
    /**
     * Forgets a group: its row, grants, limits, sessions and user links. Its folder stays on
     * disk. Throws 409 while it has child groups, a run or queued messages.
     */
    remove(folder: string): { path: string };
    sessions(folder: string): SessionInfo[];
    grants(folder: string): GrantRulesInfo;
    /** Replaces the operator's overrides; every rule is checked first (400 names the bad one). */
    setOverrides(folder: string, rules: string[]): void;
  };
}

export interface Registry<T> {
  register(spec: T): Disposer;
  list(): Array<T & { plugin: string }>;
}

export interface Host {
  /** Host API major version this host implements. */
  readonly apiVersion: number;
  /** Name of the plugin this host object belongs to. */
  readonly plugin: string;
  /** Child logger with `{ plugin }` bound. */
  readonly log: Logger;
  /** The shared SQLite connection. Touch only your own tables (`<plugin>_…`). */
  readonly db: Database;
  /** The instance's data folder. */
  readonly dataDir: string;
  readonly hooks: HostHooks;
  readonly channels: ChannelsApi;
  readonly commands: Registry<CommandSpec>;
  readonly tools: Registry<ToolSpec>;
  readonly http: { register(route: HttpRoute): Disposer };
  readonly cli: { register(command: CliCommand): Disposer };
  readonly panels: Registry<PanelSpec>;
  readonly auth: Registry<AuthProviderSpec>;
  readonly users: UsersApi;
  readonly instance: InstanceApi;
  readonly services: {
    provide<K extends keyof ServiceMap>(name: K, service: ServiceMap[K]): Disposer;
    use<K extends keyof ServiceMap>(name: K): ServiceMap[K] | undefined;
  };
  readonly groups: GroupsApi;
  readonly messages: MessagesApi;
  readonly runs: RunsApi;
  readonly routing: RoutingApi;
  /** Aborted when the plugin stops; pass it to timers and long-running work. */
  readonly signal: AbortSignal;
  /** Runs `fn` when the plugin stops (timers, sockets, caches). */
  onDispose(fn: () => void | Promise<void>): Disposer;
}
