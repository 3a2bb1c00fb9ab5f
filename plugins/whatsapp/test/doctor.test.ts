/**
 * `arizuko doctor` with the WhatsApp plugin, through the real binary: it reads the
 * stored session (linked, not linked, sealed under another authKey) and never connects.
 */
import { linesOf, runDoctor } from "../../../core/test/helpers/doctor.js";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir, type TestInstance } from "../../../core/test/helpers/instance.js";
import { startWithWhatsApp } from "./helpers.js";
import { PHONE, pluginConfig } from "./world.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

const doctor = (dir: string, whatsapp: Record<string, unknown>) => runDoctor(dir, { plugins: ["web", "route-table", { use: "whatsapp", config: whatsapp }] });

describe("arizuko doctor with WhatsApp", () => {
  it("reports linked and unlinked accounts", async () => {
    instance = await startWithWhatsApp();
    await instance.stop();
    const { code, lines } = await doctor(instance.dir, pluginConfig({ accounts: [{ phone: PHONE }, { phone: "491700000009" }] }));

    expect(linesOf(lines, "whatsapp:")).toEqual([
      `ok   whatsapp: account ${PHONE}: a linked session is stored and authKey opens it`,
      "warn whatsapp: account 491700000009: not linked; link the phone with `arizuko whatsapp login 491700000009` (docs/channels/whatsapp.md)",
    ]);
    expect(code).toBe(0);
  });

  it("fails a session sealed under another authKey", async () => {
    instance = await startWithWhatsApp();
    await instance.stop();
    const { code, lines } = await doctor(instance.dir, pluginConfig({ authKey: "another-auth-key-0123456789abcdefgh" }));

    expect(linesOf(lines, "whatsapp:")).toEqual([
      `fail whatsapp: account ${PHONE}: the stored WhatsApp session of ${PHONE} cannot be read (it was sealed under another authKey); set the authKey it was saved with, or link the phone again with \`arizuko whatsapp login ${PHONE}\``,
    ]);
    expect(code).toBe(1);
  });

  it("warns before the first start", async () => {
    const { lines } = await doctor(tempDir(), pluginConfig());
    expect(linesOf(lines, "whatsapp:")).toEqual([`warn whatsapp: account ${PHONE}: no session stored yet; link the phone with \`arizuko whatsapp login ${PHONE}\` (docs/channels/whatsapp.md)`]);
  });
});
