import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Kernel, loadConfig } from "../src/index.js";
import type { Clock } from "../src/retention/clock.js";
import { deleteEvent } from "../src/retention/deleted.js";
import { Retention, PRUNE_BATCH } from "../src/retention/prune.js";
import { startInstance, tempDir, type TestInstance } from "./helpers/instance.js";
import { DAY, messageSeqs, seedMessage, seedOutbox, seedRun } from "./helpers/seed.js";
import { waitFor } from "./helpers/wait.js";

/** A clock that stays where the test puts it. */
class FakeClock implements Clock {
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
}

const NOW = Date.UTC(2026, 5, 1, 12);

const kernels: Kernel[] = [];
const instances: TestInstance[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const kernel of kernels.splice(0)) await kernel.stop("test finished");
  for (const instance of instances.splice(0)) await instance.dispose();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** Boots a kernel that does not start (no HTTP, no background prune), with groups alpha, beta and beta/child. */
async function boot(retention: Record<string, unknown>): Promise<Kernel> {
  const dir = tempDir("arizuko-retention-");
  folders.push(dir);
  const file = join(dir, "arizuko.yaml");
  writeFileSync(file, stringify({ plugins: [], retention }));
  const kernel = await Kernel.boot(loadConfig({ file }), "offline", pino({ level: "silent" }));
  kernels.push(kernel);
  for (const folder of ["alpha", "beta", "beta/child"]) kernel.groups.add(folder);
  return kernel;
}

function retentionOf(kernel: Kernel, clock: Clock): Retention {
  return new Retention(kernel.store, kernel.resolved.config.retention, {
    groupPath: (folder) => kernel.groups.path(folder),
    clock,
    log: pino({ level: "silent" }),
  });
}

const ago = (days: number, extraMs = 0) => NOW - days * DAY - extraMs;

describe("retention prune", () => {
  it("deletes messages exactly past their group's age", async () => {
    const kernel = await boot({ messagesDays: 30, groups: { beta: { messagesDays: 5 } } });
    const rows = {
      alphaOld: seedMessage(kernel, { group: "alpha", ts: ago(30, 1) }),
      alphaAtAge: seedMessage(kernel, { group: "alpha", ts: ago(30) }),
      alphaYoung: seedMessage(kernel, { group: "alpha", ts: ago(29) }),
      betaOld: seedMessage(kernel, { group: "beta", ts: ago(5, 1) }),
      betaAtAge: seedMessage(kernel, { group: "beta", ts: ago(5) }),
      childOld: seedMessage(kernel, { group: "beta/child", ts: ago(6) }),
      unroutedOld: seedMessage(kernel, { group: null, ts: ago(31), state: "context" }),
      unroutedYoung: seedMessage(kernel, { group: null, ts: ago(6), state: "context" }),
    };

    const counts = await retentionOf(kernel, new FakeClock(NOW)).prune();

    expect(messageSeqs(kernel)).toEqual([rows.alphaAtAge, rows.alphaYoung, rows.betaAtAge, rows.unroutedYoung]);
    expect(counts.messages).toBe(4);
  });

  it("keeps queued messages and undelivered replies", async () => {
    const kernel = await boot({ messagesDays: 1 });
    const pending = seedMessage(kernel, { group: "alpha", ts: ago(100), state: "pending" });
    const running = seedMessage(kernel, { group: "alpha", ts: ago(100), state: "running" });
    const queuedReply = seedMessage(kernel, { group: "alpha", ts: ago(100), direction: "out" });
    seedOutbox(kernel, queuedReply, "queued", ago(100));
    const sendingReply = seedMessage(kernel, { group: "alpha", ts: ago(100), direction: "out" });
    seedOutbox(kernel, sendingReply, "sending", ago(100));
    const deliveredReply = seedMessage(kernel, { group: "alpha", ts: ago(100), direction: "out" });
    seedOutbox(kernel, deliveredReply, "delivered", ago(100));

    const counts = await retentionOf(kernel, new FakeClock(NOW)).prune();

    expect(messageSeqs(kernel)).toEqual([pending, running, queuedReply, sendingReply]);
    expect(counts.outbox).toBe(1);
    const outbox = kernel.store.db.prepare("SELECT message_seq AS seq, state FROM outbox ORDER BY message_seq").all();
    expect(outbox).toEqual([
      { seq: queuedReply, state: "queued" },
      { seq: sendingReply, state: "sending" },
    ]);
  });

  it("removes files of deleted messages and old media", async () => {
    const kernel = await boot({ messagesDays: 30, mediaDays: 10 });
    const alpha = kernel.groups.path("alpha");
    const gone = seedMessage(kernel, { group: "alpha", ts: ago(31), file: "media/20260501/1-gone.jpg" });
    const oldMedia = seedMessage(kernel, { group: "alpha", ts: ago(11), file: "media/20260521/2-old.jpg" });
    const atAge = seedMessage(kernel, { group: "alpha", ts: ago(10), file: "media/20260522/3-kept.jpg" });

    const counts = await retentionOf(kernel, new FakeClock(NOW)).prune();

    expect(messageSeqs(kernel)).toEqual([oldMedia, atAge]);
    expect(existsSync(join(alpha, "media/20260501/1-gone.jpg"))).toBe(false);
    expect(existsSync(join(alpha, "media/20260501"))).toBe(false);
    expect(existsSync(join(alpha, "media/20260521/2-old.jpg"))).toBe(false);
    expect(existsSync(join(alpha, "media/20260522/3-kept.jpg"))).toBe(true);
    expect(kernel.store.messages.bySeq(oldMedia)!.files).toEqual([
      { name: "photo.jpg", mime: "image/jpeg", size: 5, path: null, error: "file deleted by retention after 10 days" },
    ]);
    expect(kernel.store.messages.bySeq(atAge)!.files[0]!.path).toBe("media/20260522/3-kept.jpg");
    expect(counts.media).toBe(2);
    expect(messageSeqs(kernel)).not.toContain(gone);
  });

  it("never follows a file path out of the group folder", async () => {
    const kernel = await boot({ mediaDays: 1 });
    const outside = join(kernel.resolved.dataDir, "outside.txt");
    writeFileSync(outside, "keep me");
    const seq = seedMessage(kernel, { group: "alpha", ts: ago(5) });
    kernel.store.db.prepare("UPDATE messages SET files = ? WHERE seq = ?").run(JSON.stringify([{ name: "x", mime: "text/plain", size: 7, path: "../../outside.txt" }]), seq);

    const counts = await retentionOf(kernel, new FakeClock(NOW)).prune();

    expect(readFileSync(outside, "utf8")).toBe("keep me");
    expect(counts.media).toBe(0);
  });

  it("deletes ended runs and their tool calls past the run-log age", async () => {
    const kernel = await boot({ runLogsDays: 7, groups: { alpha: { runLogsDays: 0 } } });
    seedRun(kernel, { id: "old", group: "beta", startedAt: ago(9), endedAt: ago(8) });
    seedRun(kernel, { id: "at-age", group: "beta", startedAt: ago(8), endedAt: ago(7) });
    seedRun(kernel, { id: "live", group: "beta", startedAt: ago(30), endedAt: null });
    seedRun(kernel, { id: "forever", group: "alpha", startedAt: ago(400), endedAt: ago(400) });
    const took = seedMessage(kernel, { group: "beta", ts: ago(8), runId: "old" });

    const counts = await retentionOf(kernel, new FakeClock(NOW)).prune();

    const runs = kernel.store.db.prepare("SELECT id FROM runs ORDER BY id").all();
    expect(runs).toEqual([{ id: "at-age" }, { id: "forever" }, { id: "live" }]);
    const toolCalls = kernel.store.db.prepare("SELECT run_id FROM tool_calls ORDER BY run_id").all();
    expect(toolCalls).toEqual([{ run_id: "at-age" }, { run_id: "forever" }, { run_id: "live" }]);
    expect(kernel.store.db.prepare("SELECT run_id FROM messages WHERE seq = ?").get(took)).toEqual({ run_id: null });
    expect(counts).toMatchObject({ runs: 1, toolCalls: 1 });
  });

  it("keeps everything with the default config", async () => {
    const kernel = await boot({});
    const seq = seedMessage(kernel, { group: "alpha", ts: ago(10_000), file: "media/19990101/1-a.jpg" });
    seedRun(kernel, { id: "ancient", group: "alpha", startedAt: ago(10_000), endedAt: ago(10_000) });

    const counts = await retentionOf(kernel, new FakeClock(NOW)).prune();

    expect(counts).toEqual({ messages: 0, outbox: 0, media: 0, runs: 0, toolCalls: 0 });
    expect(messageSeqs(kernel)).toEqual([seq]);
    expect(existsSync(join(kernel.groups.path("alpha"), "media/19990101/1-a.jpg"))).toBe(true);
  });

  it("works through more rows than one batch", async () => {
    const kernel = await boot({ messagesDays: 1 });
    const insert = kernel.store.db.transaction(() => {
      for (let index = 0; index < PRUNE_BATCH * 2 + 10; index += 1) seedMessage(kernel, { group: "alpha", ts: ago(index % 2 === 0 ? 2 : 0) });
    });
    insert();

    const counts = await retentionOf(kernel, new FakeClock(NOW)).prune();

    expect(counts.messages).toBe(PRUNE_BATCH + 5);
    expect(messageSeqs(kernel)).toHaveLength(PRUNE_BATCH + 5);
  });

  it("reports deleted messages with their attachments", async () => {
    const kernel = await boot({ messagesDays: 1 });
    const seq = seedMessage(kernel, { chat: "web:local/c1", group: "alpha", ts: ago(2) });
    const attachment = { kind: "file", mime: "text/plain", size: 2, name: "a.txt", ref: "f_0123456789abcdef" };
    kernel.store.db.prepare("UPDATE messages SET attachments = ? WHERE seq = ?").run(JSON.stringify([attachment]), seq);
    const events: unknown[] = [];
    const retention = new Retention(kernel.store, kernel.resolved.config.retention, {
      groupPath: (folder) => kernel.groups.path(folder),
      clock: new FakeClock(NOW),
      log: pino({ level: "silent" }),
      onDeleted: (reason, messages) => events.push(deleteEvent(reason, messages)),
    });

    await retention.prune();

    expect(events).toEqual([{ reason: "retention", messages: [{ seq, chat: "web:local/c1", attachments: [attachment] }] }]);
  });

  it("ages data as the clock moves", async () => {
    const kernel = await boot({ messagesDays: 3 });
    const seq = seedMessage(kernel, { group: "alpha", ts: NOW });
    const clock = new FakeClock(NOW + 3 * DAY);
    const retention = retentionOf(kernel, clock);

    expect((await retention.prune()).messages).toBe(0);
    clock.time += 1;
    expect((await retention.prune()).messages).toBe(1);
    expect(messageSeqs(kernel)).not.toContain(seq);
  });

  it("rejects an age that is not whole days", async () => {
    const dir = tempDir("arizuko-retention-");
    folders.push(dir);
    const file = join(dir, "arizuko.yaml");
    writeFileSync(file, stringify({ retention: { messagesDays: "30d", groups: { Alpha: { mediaDays: 1 } } } }));
    expect(() => loadConfig({ file })).toThrow('retention.messagesDays: expected integer in whole days, got "30d"');
  });
});

describe("retention in a running instance", () => {
  it("prunes at start and counts it in /metrics", async () => {
    const dir = tempDir("arizuko-retention-");
    folders.push(dir);
    const config = { plugins: [], retention: { messagesDays: 2 } };
    // Seed through a first instance, then start a second one on the same folder.
    const seeder = await startInstance({ dir, config });
    const old = seedMessage(seeder.kernel, { group: "main", ts: Date.now() - 3 * DAY });
    const young = seedMessage(seeder.kernel, { group: "main", ts: Date.now() - DAY });
    await seeder.stop();

    const instance = await startInstance({ dir, config });
    instances.push(instance);
    await waitFor(() => !messageSeqs(instance.kernel).includes(old), { what: "the start-up prune" });
    expect(messageSeqs(instance.kernel)).toEqual([young]);

    const metrics = await fetch(`${instance.url}/metrics`, { headers: { authorization: `Bearer ${readFileSync(join(instance.dataDir, "admin.token"), "utf8").trim()}` } });
    expect(await metrics.text()).toContain('arizuko_retention_deleted_total{kind="messages"} 1');
  });

  it("warns at start about a group override that names no group", async () => {
    const instance = await startInstance({ config: { plugins: [], retention: { groups: { main: { messagesDays: 7 }, mian: { messagesDays: 7 } } } } });
    instances.push(instance);
    const warnings = readFileSync(join(instance.dir, "arizuko.log"), "utf8").split("\n").filter((line) => line.includes("names no group"));
    expect(warnings.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(["retention.groups.mian names no group; check the folder (arizuko group list)"]);
  });
});
