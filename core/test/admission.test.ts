/**
 * Admission in a real kernel: the pairing policy's codes (where they are sent, how
 * often), `arizuko pair` approving and revoking, allowlists by chat, and explain
 * sending nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isOwnEcho } from "../src/pipeline/admission.js";
import { fixtureAgent, startInstance } from "./helpers/instance.js";
import { RoutingWorld } from "./helpers/routing-world.js";
import { testChannel } from "./helpers/test-channel.js";
import { sleep, waitFor } from "./helpers/wait.js";

const STRANGER = "test:mallory";
const CODE = /[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}/;

let world: RoutingWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

function pairingWorld(extra: Record<string, unknown> = {}): Promise<RoutingWorld> {
  return RoutingWorld.start({ config: { admission: { test: { policy: "pairing" } }, ...extra } });
}

/** Lists the codes sent so far, in order. */
function codes(target: RoutingWorld): string[] {
  return target.channel.sent.flatMap((chunk) => CODE.exec(chunk.text)?.[0] ?? []);
}

describe("pairing", () => {
  it("sends a stranger in a direct chat one code per period", async () => {
    world = await pairingWorld();
    const first = await world.say("dm", "hello?", { sender: STRANGER, direct: true });
    expect(first).toMatchObject({ state: "context", route_layer: "admission", run_id: null });
    await waitFor(() => codes(world!).length === 1, { what: "the pairing code" });
    expect(world.channel.sent[0]!.text).toMatch(/give an operator this code/);

    await world.say("dm", "anyone?", { sender: STRANGER, direct: true });
    await world.kernel.intake.idle();
    await sleep(100);
    expect(codes(world)).toHaveLength(1);
  });

  it("sends no code in a group chat unless the bot is mentioned", async () => {
    world = await pairingWorld();
    await world.say("group", "chatting along", { sender: STRANGER });
    await sleep(100);
    expect(world.channel.sent).toEqual([]);

    await world.say("group", "hey bot", { sender: STRANGER, verb: "mention" });
    await waitFor(() => codes(world!).length === 1, { what: "the pairing code" });
    expect(world.channel.sent[0]!.chat).toBe("test:bot/group");
  });

  it("admits a sender once an operator approves their code", async () => {
    world = await pairingWorld();
    await world.say("dm", "hello?", { sender: STRANGER, direct: true });
    const [code] = await waitFor(() => (codes(world!).length > 0 ? codes(world!) : undefined), { what: "the pairing code" });

    const listed = await world.kernel.runCli(["pair", "list"]);
    expect(listed.stdout).toMatch(new RegExp(`^CODE\\s+SENDER\\s+CHAT\\s+SENT\\n${code}\\s+${STRANGER}\\s+test:bot/dm`));

    const approved = await world.kernel.runCli(["pair", "approve", code!.toLowerCase()]);
    expect([approved.exitCode, approved.stdout.trim()]).toEqual([0, `sender ${STRANGER} approved on test`]);
    expect((await world.kernel.runCli(["pair", "list"])).stdout.trim()).toBe("no pairing codes waiting");

    const admitted = await world.say("dm", "now?", { sender: STRANGER, direct: true });
    expect(admitted).toMatchObject({ group_folder: "main", route_layer: "route-table" });
    await world.finished("dm", (await waitFor(() => world!.kernel.store.db.prepare("SELECT platform_id FROM messages WHERE id = ?").get(admitted.id) as { platform_id: string })).platform_id);
    expect(world.runs("main").map((run) => run.texts)).toEqual([["now?"]]);
  });

  it("gives a member's role to an approved sender", async () => {
    world = await pairingWorld();
    await world.say("dm", "hello?", { sender: STRANGER, direct: true });
    const [code] = await waitFor(() => (codes(world!).length > 0 ? codes(world!) : undefined), { what: "the pairing code" });
    const before = await world.explain({ chat: world.channel.jid("dm"), sender: STRANGER, text: "hi" });
    await world.kernel.runCli(["pair", "approve", code!]);
    const after = await world.explain({ chat: world.channel.jid("dm"), sender: STRANGER, text: "hi" });
    expect([before.role, after.role]).toEqual(["guest", "member"]);
  });

  it("turns a revoked sender back into a stranger", async () => {
    world = await pairingWorld();
    await world.say("dm", "hello?", { sender: STRANGER, direct: true });
    const [code] = await waitFor(() => (codes(world!).length > 0 ? codes(world!) : undefined), { what: "the pairing code" });
    await world.kernel.runCli(["pair", "approve", code!]);

    expect((await world.kernel.runCli(["pair", "revoke", STRANGER])).stdout.trim()).toBe(`sender ${STRANGER} is no longer approved`);
    expect((await world.kernel.runCli(["pair", "revoke", STRANGER])).stdout.trim()).toBe(`sender ${STRANGER} was not approved; nothing to do`);
    expect(await world.say("dm", "still there?", { sender: STRANGER, direct: true })).toMatchObject({ state: "context", route_layer: "admission" });
  });

  it("refuses an unknown code and says how to list codes", async () => {
    world = await pairingWorld();
    const result = await world.kernel.runCli(["pair", "approve", "ABCD-EFGH"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/no pairing code "ABCD-EFGH"; list open codes with `arizuko pair list`/);
  });

  it("refuses an expired code", async () => {
    world = await pairingWorld();
    await world.say("dm", "hello?", { sender: STRANGER, direct: true });
    const [code] = await waitFor(() => (codes(world!).length > 0 ? codes(world!) : undefined), { what: "the pairing code" });
    world.kernel.store.db.prepare("UPDATE pairings SET expires_at = ? WHERE code = ?").run(Date.now() - 1, code);

    const result = await world.kernel.runCli(["pair", "approve", code!]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`pairing code ${code} has expired`));
  });

  it("sends no code when a stranger's message is only explained", async () => {
    world = await pairingWorld();
    const explained = await world.explain({ chat: world.channel.jid("dm"), sender: STRANGER, text: "hello?" });
    expect(explained.denial).toMatch(/not approved on test; a pairing code lets an operator approve them/);
    await sleep(100);
    expect(world.channel.sent).toEqual([]);
    expect(world.kernel.store.db.prepare("SELECT count(*) AS n FROM pairings").get()).toEqual({ n: 0 });
  });
});

describe("allowlists", () => {
  it("admits anyone in a listed chat", async () => {
    world = await RoutingWorld.start({ config: { admission: { test: { policy: "allowlist", allow: ["test:bot/team-*"] } } } });
    expect(await world.say("team-1", "hello", { sender: STRANGER })).toMatchObject({ group_folder: "main", route_layer: "route-table" });
    expect(await world.say("elsewhere", "hello", { sender: STRANGER })).toMatchObject({ state: "context", route_layer: "admission" });
  });

  it("sends a stranger on an allowlist platform no code", async () => {
    world = await RoutingWorld.start();
    await world.say("dm", "hello?", { sender: STRANGER, direct: true });
    await sleep(100);
    expect(world.channel.sent).toEqual([]);
  });
});

describe("echoes of the bot's own replies", () => {
  it("starts nothing from the bot's echo", async () => {
    const whatsapp = testChannel({ platform: "whatsapp", account: "15550009999" });
    const echoInstance = await startInstance({
      config: { runner: { command: fixtureAgent("scripted.mjs") }, admission: { whatsapp: { policy: "open" } } },
      plugins: [{ definition: whatsapp.plugin }],
    });
    try {
      await echoInstance.kernel.runCli(["route", "add", "platform=whatsapp", "main"]);
      await waitFor(() => echoInstance.kernel.channels.list().some((entry) => entry.name === "whatsapp"));

      // The platform echoes the bot's "✅ done" under another id, in a DM and in a group.
      for (const chat of ["15550009999@s.whatsapp.net", "120363000000000001@g.us"]) {
        await whatsapp.say(chat, "✅ done", { sender: "whatsapp:15550009999@s.whatsapp.net", id: `3EB0OTHER0002-${chat}` });
      }
      await echoInstance.kernel.intake.idle();
      await sleep(200);

      const rows = echoInstance.kernel.store.db.prepare("SELECT state, route_layer, route_reason FROM messages WHERE direction = 'in'").all() as Array<{ state: string; route_layer: string; route_reason: string }>;
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.state).toBe("context");
        expect(row.route_layer).toBe("admission");
        expect(row.route_reason).toMatch(/is the bot's own account; an echo of its own reply starts nothing/);
      }
      expect(echoInstance.kernel.store.db.prepare("SELECT count(*) AS n FROM runs").get()).toEqual({ n: 0 });
    } finally {
      await echoInstance.dispose();
    }
  });

  it("tells the bot's account from other senders", () => {
    expect(isOwnEcho({ sender: "whatsapp:15550001234@s.whatsapp.net", chat: "whatsapp:15550009999/15550001234@s.whatsapp.net" })).toBe(false);
    expect(isOwnEcho({ sender: "telegram:600000001", chat: "telegram:600000001/-1001000000001" })).toBe(true);
    expect(isOwnEcho({ sender: "web:v_abc", chat: "web:local/c1" })).toBe(false);
  });
});
