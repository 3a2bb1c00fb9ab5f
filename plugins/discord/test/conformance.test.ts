/**
 * The Discord channel against the sdk's conformance kit, with the real discord.js
 * client talking to a fake Discord on 127.0.0.1.
 */
import { runChannelConformance } from "@arizuko/sdk/testing";
import plugin from "../src/index.js";
import { discordDriver, discordWorld, IDS } from "./driver.js";

runChannelConformance({
  plugin,
  chat: `discord:${IDS.bot}/${IDS.textChannel}`,
  senders: [`discord:${IDS.ada}`, `discord:${IDS.bo}`],
  timeoutMs: 10_000,
  driver: async () => discordDriver(await discordWorld()),
});
