/**
 * Test setup shared by the WhatsApp tests: the plugin wired to a fake WhatsApp, and a
 * variant whose session is already linked, as if `arizuko whatsapp login` had run.
 */
import type { Database } from "better-sqlite3";
import { openSession, whatsappPlugin } from "../src/index.js";
import { FakeWhatsApp } from "./fake-whatsapp.js";

export const AUTH_KEY = "test-auth-key-0123456789abcdefghijkl";
export const PHONE = "491700000001";
export const GROUP = "120363000000000001@g.us";
export const ALICE = "491700000002@s.whatsapp.net";
export const BOB = "491700000003@s.whatsapp.net";
export const CHAT = `whatsapp:${PHONE}/${GROUP}`;

/** Returns the plugin's config for one account, with quick reconnects for tests. */
export function pluginConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { authKey: AUTH_KEY, accounts: [{ phone: PHONE }], reconnectMinMs: 50, reconnectMaxMs: 400, sendPaceMs: 0, startTimeoutMs: 5000, ...extra };
}

/** Holds the fake the plugin's sockets go to; tests that make a new fake point it there. */
export const world: { fake: FakeWhatsApp } = { fake: new FakeWhatsApp(PHONE) };

export async function newFake(): Promise<FakeWhatsApp> {
  world.fake = new FakeWhatsApp(PHONE);
  world.fake.groups.set(GROUP, { id: GROUP, subject: "Test group", participants: [], addressingMode: "pn" } as never);
  await world.fake.start();
  return world.fake;
}

/** The plugin as configured by an operator, its sockets going to the fake. */
export const plugin = whatsappPlugin({ connect: (options) => world.fake.connect(options) });

/** Stores the session a finished link leaves, unless one is stored already. */
export function seedLinkedSession(db: Database, phone = PHONE, authKey = AUTH_KEY): void {
  const session = openSession(db, phone, authKey);
  if (session.linked()) {
    world.fake.linkedCreds(session.state().creds);
    return;
  }
  const { creds } = session.state();
  world.fake.linkedCreds(creds);
  session.saveCreds();
}

/** The plugin with a linked session, for tests that do not exercise linking. */
export const linkedPlugin = {
  ...plugin,
  register(host: Parameters<typeof plugin.register>[0], config: Parameters<typeof plugin.register>[1]) {
    seedLinkedSession(host.db);
    return plugin.register(host, config);
  },
};
