/** The HTTP channel against the conformance kit, with a test adapter in front of each fake platform. */
import { runChannelConformance } from "@arizuko/sdk/testing";
import plugin from "../src/index.js";
import { adapterDriver, CHAT } from "./driver.js";

runChannelConformance({
  plugin,
  chat: CHAT,
  senders: ["telegram:user:555000111", "telegram:user:555000222"],
  driver: adapterDriver,
});
