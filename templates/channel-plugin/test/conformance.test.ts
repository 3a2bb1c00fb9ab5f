/**
 * The console channel against the conformance kit: a fresh Console platform per
 * property, driven through the kit's PlatformDriver.
 */
import { runChannelConformance } from "@arizuko/sdk/testing";
import plugin from "../src/index.js";
import { CHAT, consoleDriver } from "./driver.js";

runChannelConformance({
  plugin,
  chat: `console:local/${CHAT}`,
  senders: ["console:alice", "console:bob"],
  driver: consoleDriver,
});
