export { SocketTransport, MAX_MESSAGE_BYTES } from "./socket-transport.js";
export { connectTools, resultText, type ToolEndpoint } from "./client.js";
