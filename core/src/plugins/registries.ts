/**
 * The host's registries of named things plugins provide: chat commands, MCP tools,
 * CLI commands, dashboard panels, sign-in providers and services. Each name has one
 * owner; registries know all names, so `/help`, command menus and collision checks
 * read them.
 */
import type { AuthProviderSpec, CliCommand, CommandSpec, PanelSpec, ToolSpec } from "@arizuko/sdk";
import { NameRegistry } from "./registry.js";

export const COMMAND_NAME = /^[a-z][a-z0-9_]{0,31}$/;
export const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const CLI_NAME = /^[a-z][a-z0-9-]{0,31}$/;
export const PANEL_ID = /^[a-z][a-z0-9-]{0,63}$/;
export const SERVICE_NAME = /^[a-z][a-zA-Z0-9-]{0,63}$/;

export class Registries {
  readonly commands = new NameRegistry<CommandSpec>("command");
  readonly tools = new NameRegistry<ToolSpec>("MCP tool");
  readonly cli = new NameRegistry<CliCommand>("CLI command");
  readonly panels = new NameRegistry<PanelSpec>("dashboard panel");
  readonly auth = new NameRegistry<AuthProviderSpec>("sign-in provider");
  readonly services = new NameRegistry<unknown>("service");
}
