/**
 * `arizuko doctor` with the WhatsApp plugin, through the real binary: it reads the
 * stored session (linked, not linked, sealed under another authKey) and never connects.
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir, type TestInstance } from "../../../core/test/helpers/instance.js";
import { ARIZUKO_BIN } from "../../../core/test/helpers/process.js";
import { startWithWhatsApp } from "./helpers.js";
import { PHONE, pluginConfig } from "./world.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

async function doctor(dir: string, whatsapp: Record<string, unknown>): Promise<{ code: number; lines: string[] }> {
  writeFileSync(join(dir, "arizuko.yaml"), stringify({ plugins: ["web", "route-table", { use: "whatsapp", config: whatsapp }] }));
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [ARIZUKO_BIN, "doctor"], { cwd: dir });
    return { code: 0, lines: stdout.trim().split("\n") };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, lines: failed.stdout.trim().split("\n") };
  }
}

const whatsappLines = (lines: string[]) => lines.filter((line) => line.slice(5).startsWith("whatsapp:"));

describe("arizuko doctor with WhatsApp", () => {
  it("finds the linked session, and says how to link an account that has none", async () => {
    instance = await startWithWhatsApp();
    await instance.stop();
    const { code, lines } = await doctor(instance.dir, pluginConfig({ accounts: [{ phone: PHONE }, { phone: "491700000009" }] }));

    expect(whatsappLines(lines)).toEqual([
      `ok   whatsapp: account ${PHONE}: a linked session is stored and authKey opens it`,
      "warn whatsapp: account 491700000009: not linked; link the phone with `arizuko whatsapp login 491700000009` (docs/channels/whatsapp.md)",
    ]);
    expect(code).toBe(0);
  });

  it("fails a session sealed under another authKey", async () => {
    instance = await startWithWhatsApp();
    await instance.stop();
    const { code, lines } = await doctor(instance.dir, pluginConfig({ authKey: "another-auth-key-0123456789abcdefgh" }));

    expect(whatsappLines(lines)).toEqual([
      `fail whatsapp: account ${PHONE}: the stored WhatsApp session of ${PHONE} cannot be read (it was sealed under another authKey); set the authKey it was saved with, or link the phone again with \`arizuko whatsapp login ${PHONE}\``,
    ]);
    expect(code).toBe(1);
  });

  it("warns before the first start", async () => {
    const { lines } = await doctor(tempDir(), pluginConfig());
    expect(whatsappLines(lines)).toEqual([`warn whatsapp: account ${PHONE}: no session stored yet; link the phone with \`arizuko whatsapp login ${PHONE}\` (docs/channels/whatsapp.md)`]);
  });
});
