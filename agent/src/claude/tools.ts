/**
 * The run's MCP tools for Claude Code: an in-process MCP server (the SDK's `sdk`
 * server type) that relays `tools/list` and `tools/call` to the run's tool socket,
 * where the host checks grants. Claude Code names the tools `mcp__arizuko__<name>`.
 */
import type { McpSdkServerConfigWithInstance } from "@anthropic-ai/claude-agent-sdk";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";

/** The server's name, so the tools' prefix `mcp__arizuko__`. */
export const TOOL_SERVER = "arizuko";

export async function relayServer(client: Client): Promise<McpSdkServerConfigWithInstance> {
  const { McpServer } = await import("@modelcontextprotocol/sdk/server/mcp.js");
  const server = new McpServer({ name: TOOL_SERVER, version: "1.0.0" }, { capabilities: { tools: {} } });
  // The low-level handlers: tool schemas pass through as JSON Schema, unchanged.
  server.server.setRequestHandler(ListToolsRequestSchema, async (request) => client.listTools(request.params));
  server.server.setRequestHandler(CallToolRequestSchema, async (request) => client.callTool(request.params));
  return { type: "sdk", name: TOOL_SERVER, instance: server };
}
