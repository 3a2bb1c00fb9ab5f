export { SocketTransport, MAX_MESSAGE_BYTES } from "./socket-transport.js";
export { connectTools, type ToolEndpoint } from "./client.js";
