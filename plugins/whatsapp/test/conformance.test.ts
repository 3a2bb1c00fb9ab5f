/**
 * The WhatsApp channel against the sdk's conformance kit, with the plugin's socket
 * seam pointed at a fake WhatsApp that emits Baileys' event shapes.
 */
import { runChannelConformance } from "@arizuko/sdk/testing";
import { whatsappDriver } from "./driver.js";
import { ALICE, BOB, CHAT, linkedPlugin } from "./world.js";

runChannelConformance({
  plugin: linkedPlugin,
  chat: CHAT,
  senders: [`whatsapp:${ALICE}`, `whatsapp:${BOB}`],
  timeoutMs: 10_000,
  driver: whatsappDriver,
});
