/**
 * The Telegram channel against the sdk's conformance kit, with the real grammY client
 * talking to a fake Bot API on 127.0.0.1.
 */
import { runChannelConformance } from "@arizuko/sdk/testing";
import plugin from "../src/index.js";
import { BOT, GROUP, telegramDriver } from "./driver.js";

runChannelConformance({
  plugin,
  chat: `telegram:${BOT.id}/${GROUP}`,
  senders: ["telegram:111", "telegram:222"],
  driver: telegramDriver,
});
