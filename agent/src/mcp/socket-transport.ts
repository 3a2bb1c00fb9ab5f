/**
 * An MCP transport over a stream socket: newline-delimited JSON-RPC, the framing of
 * MCP's stdio transport. The host serves each run's tools on a unix socket and the
 * agent connects to it, so both ends use this class.
 */
import type { Socket } from "node:net";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ReadBuffer, serializeMessage } from "@modelcontextprotocol/sdk/shared/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** Largest message either side accepts, so a runaway peer cannot fill the memory. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export class SocketTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly buffer = new ReadBuffer({ maxBufferSize: MAX_MESSAGE_BYTES });
  private closed = false;

  constructor(private readonly socket: Socket) {}

  async start(): Promise<void> {
    this.socket.on("data", (chunk: Buffer) => this.receive(chunk));
    this.socket.on("error", (error) => this.onerror?.(error));
    this.socket.on("close", () => this.finish());
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new Error("the MCP socket is closed"));
    return new Promise((resolve, reject) => {
      this.socket.write(serializeMessage(message), (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.socket.end();
    this.finish();
  }

  private receive(chunk: Buffer): void {
    try {
      this.buffer.append(chunk);
      for (let message = this.buffer.readMessage(); message !== null; message = this.buffer.readMessage()) {
        this.onmessage?.(message);
      }
    } catch (error) {
      // A line that is not JSON-RPC, or one over the size cap: the peer is broken.
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      this.socket.destroy();
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer.clear();
    this.onclose?.();
  }
}
