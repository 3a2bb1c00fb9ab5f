/**
 * Builds the `host` object one plugin receives. Every registration goes through the
 * plugin's scope, so stopping or failing the plugin removes all of it.
 */
import type { Disposer, Host, HostHooks, HookName, Registry, RoutingApi, RunsApi, ServiceMap, StoredMessage, SubmitInput, TapFunction, TapOptions, UsersApi, InstanceApi } from "@arizuko/sdk";
import { HOST_API_VERSION } from "@arizuko/sdk";
import type { Logger } from "pino";
import { errors } from "../errors.js";
import type { GroupService } from "../groups/groups.js";
import { HOOK_NAMES } from "../hooks/catalog.js";
import type { Hooks } from "../hooks/hooks.js";
import type { HttpRoutes } from "../http/routes.js";
import type { ChannelRegistry } from "../pipeline/channels.js";
import type { Store } from "../store/index.js";
import { CLI_NAME, COMMAND_NAME, PANEL_ID, Registries, SERVICE_NAME, TOOL_NAME } from "./registries.js";
import type { NameRegistry, Owner } from "./registry.js";
import type { PluginScope } from "./scope.js";
import type { PluginStatuses } from "./status.js";

export interface HostContext {
  store: Store;
  hooks: Hooks;
  registries: Registries;
  channels: ChannelRegistry;
  http: HttpRoutes;
  groups: GroupService;
  statuses: PluginStatuses;
  runs: RunsApi;
  /** `runs.submit` on behalf of `plugin`, which becomes the stored message's routing layer. */
  inject(input: SubmitInput, plugin: string): StoredMessage | null;
  routing: RoutingApi;
  users: UsersApi;
  instance: InstanceApi;
  dataDir: string;
  log: Logger;
}

function namedRegistry<T extends { name?: string; id?: string }>(
  registry: NameRegistry<T>,
  owner: Owner,
  scope: PluginScope,
  pattern: RegExp,
  kind: string,
  onRegister?: (spec: T) => void,
): Registry<T> {
  return {
    register(spec: T): Disposer {
      const name = (spec.name ?? spec.id) as string;
      if (typeof name !== "string" || !pattern.test(name)) throw errors.invalidName(kind, String(name), pattern);
      const dispose = scope.add(registry.claim(name, owner, spec));
      onRegister?.(spec);
      return dispose;
    },
    list() {
      return registry.entriesList().map(([, entry]) => ({ ...entry.value, plugin: entry.owner.name }));
    },
  };
}

function hostHooks(hooks: Hooks, owner: Owner, scope: PluginScope): HostHooks {
  const facade = {} as Record<HookName, { tap(fn: TapFunction<HookName>, options?: TapOptions): Disposer }>;
  for (const name of HOOK_NAMES) {
    facade[name] = { tap: (fn, options) => scope.add(hooks.tap(name, owner.name, fn as TapFunction<typeof name>, options)) };
  }
  return facade as unknown as HostHooks;
}

export function createHost(context: HostContext, owner: Owner, scope: PluginScope): Host {
  const { registries, hooks, statuses } = context;
  const log = context.log.child({ plugin: owner.name });

  return {
    apiVersion: HOST_API_VERSION,
    plugin: owner.name,
    log,
    db: context.store.db,
    dataDir: context.dataDir,
    hooks: hostHooks(hooks, owner, scope),
    channels: {
      register: (channel) => scope.add(context.channels.register(channel, owner)),
      forChat: (chat) => {
        const entry = context.channels.entryForChat(chat);
        return entry ? context.channels.info(entry) : null;
      },
      list: () => context.channels.list(),
      fetchAttachment: (chat, ref) => context.channels.fetchAttachment(chat, ref),
    },
    commands: namedRegistry(registries.commands, owner, scope, COMMAND_NAME, "command"),
    tools: namedRegistry(registries.tools, owner, scope, TOOL_NAME, "MCP tool", (tool) => {
      void hooks.observe("onToolRegister", { tool: tool.name, plugin: owner.name });
    }),
    http: { register: (route) => scope.add(context.http.register(route, owner)) },
    cli: {
      register: (command) => {
        if (!CLI_NAME.test(command.name)) throw errors.invalidName("CLI command", command.name, CLI_NAME);
        return scope.add(registries.cli.claim(command.name, owner, command));
      },
    },
    panels: namedRegistry(registries.panels, owner, scope, PANEL_ID, "dashboard panel"),
    auth: namedRegistry(registries.auth, owner, scope, PANEL_ID, "sign-in provider"),
    users: context.users,
    instance: context.instance,
    services: {
      provide<K extends keyof ServiceMap>(name: K, service: ServiceMap[K]): Disposer {
        if (!SERVICE_NAME.test(name)) throw errors.invalidName("service", name, SERVICE_NAME);
        return scope.add(registries.services.claim(name, owner, service));
      },
      use<K extends keyof ServiceMap>(name: K): ServiceMap[K] | undefined {
        const entry = registries.services.get(name);
        if (!entry || !statuses.isRunning(entry.owner.name)) return undefined;
        return entry.value as ServiceMap[K];
      },
    },
    groups: context.groups,
    messages: {
      bySeq: (seq) => context.store.messages.bySeq(seq),
      list: (query) => context.store.messages.list(query),
      findByPlatformId: (chat, platformId) => context.store.messages.findByPlatformId(chat, platformId),
    },
    runs: { ...context.runs, submit: (input) => context.inject(input, owner.name) },
    routing: context.routing,
    signal: scope.signal,
    onDispose: (fn) => scope.add(fn),
  };
}
