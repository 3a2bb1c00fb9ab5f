/**
 * Connects an MCP client to a run's tool socket, presenting the run's token in
 * `initialize` as the host requires (docs/agent-protocol.md, "Tools").
 */
import { connect } from "node:net";
import { RUN_TOKEN_CAPABILITY, type RunFrame } from "@arizuko/sdk";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SocketTransport } from "./socket-transport.js";

export type ToolEndpoint = NonNullable<RunFrame["mcp"]>;

function open(path: string): Promise<import("node:net").Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Returns a tool result's content as text, one line per part; parts that are not text show their type. */
export function resultText(result: Record<string, unknown>, separator = "\n"): string {
  const content = Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>) : [];
  return content.map((part) => (part.type === "text" ? part.text : `(${part.type})`)).join(separator);
}

/** Resolves with a connected client; rejects when the socket is gone or the token is refused. */
export async function connectTools(endpoint: ToolEndpoint, clientName = "arizuko-agent"): Promise<Client> {
  const socket = await open(endpoint.socket);
  const client = new Client(
    { name: clientName, version: "1.0.0" },
    { capabilities: { experimental: { [RUN_TOKEN_CAPABILITY]: { token: endpoint.token } } } },
  );
  try {
    await client.connect(new SocketTransport(socket));
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return client;
}
