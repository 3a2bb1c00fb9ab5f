/**
 * `arizuko task`: every subcommand against a running instance, the mistakes it names,
 * and a task added while no instance runs, which the next start fires.
 */
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import pino from "pino";
import { stringify } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { Kernel, loadConfig } from "../../../core/src/index.js";
import { tempDir } from "../../../core/test/helpers/instance.js";
import { schedulerPlugin } from "../src/index.js";
import { FakeClock } from "./helpers/fake-clock.js";
import { at, CHAT, iso, PLUGINS, World } from "./helpers/world.js";

let world: World | undefined;
afterEach(async () => {
  await world?.instance.dispose();
  world = undefined;
});

async function fails(...argv: string[]): Promise<string> {
  const result = await world!.instance.kernel.runCli(argv);
  expect(result.exitCode, result.stdout).toBe(1);
  return result.stderr;
}

describe("arizuko task", () => {
  it("adds, lists, shows, edits, pauses, resumes and removes a task", async () => {
    const clock = new FakeClock(at("2026-06-01T10:00:00Z"));
    world = await World.start({ clock });
    expect(await world.cli("task", "list")).toContain("no tasks; add one with `arizuko task add");

    const added = await world.cli("task", "add", "--group", "main", "--chat", CHAT, "--prompt", "stand-up notes", "--cron", "30 9 * * 1-5", "--zone", "Europe/Berlin");
    const id = /added task (tsk_[0-9a-f]+)/.exec(added)![1]!;
    expect(added).toBe(`added task ${id}: main in ${CHAT}, cron 30 9 * * 1-5 (Europe/Berlin), group context, active; next run 2026-06-02T07:30:00.000Z (2026-06-02 09:30 Europe/Berlin)\n`);

    const list = await world.cli("task", "list");
    expect(list.split("\n")[0]).toMatch(/^ID +GROUP +CHAT +SCHEDULE +STATUS +NEXT RUN +LAST RUN$/);
    expect(list).toContain(`${id}  main   ${CHAT}  cron 30 9 * * 1-5 (Europe/Berlin)  active  2026-06-02T07:30:00.000Z  -`);
    expect(await world.cli("task", "list", "--group", "other")).toContain("no tasks");

    await world.stepTo(at("2026-06-02T08:00:00Z"));
    const shown = await world.cli("task", "show", id);
    expect(shown).toContain("prompt: stand-up notes");
    expect(shown).toContain("created by cli (runs as operator)");
    expect(shown).toMatch(/DUE +STATE +STARTED +ENDED +RUN +ERROR\n2026-06-02T07:30:00.000Z +done +\S+ +\S+ +run_/);

    // A new cron keeps the zone; a prompt-only edit keeps the next time.
    expect(await world.cli("task", "edit", id, "--cron", "0 8 * * 1-5")).toContain("cron 0 8 * * 1-5 (Europe/Berlin), group context, active; next run 2026-06-03T06:00:00.000Z");
    expect(await world.cli("task", "edit", id, "--prompt", "stand-up notes, please")).toContain("next run 2026-06-03T06:00:00.000Z");
    expect(await fails("task", "edit", id)).toContain(`nothing to change; give the options to change, e.g. arizuko task edit ${id} --prompt 'new text'`);

    // Only what is given changes; a new schedule replaces the old one, whatever its kind.
    const edited = await world.cli("task", "edit", id, "--every", "2h", "--context", "isolated");
    expect(edited).toBe(`changed task ${id}: main in ${CHAT}, every 2h, isolated context, active; next run 2026-06-02T10:00:00.000Z\n`);
    expect(await world.cli("task", "edit", id, "--prompt", "new words")).toContain("every 2h, isolated context, active; next run 2026-06-02T10:00:00.000Z");

    expect(await world.cli("task", "pause", id)).toContain("paused; next run");
    expect(await fails("task", "pause", id)).toContain(`task ${id} is paused already; resume it to let it fire again`);
    expect(await world.cli("task", "resume", id)).toContain("active; next run 2026-06-02T10:00:00.000Z");
    expect(await world.cli("task", "rm", id)).toBe(`deleted task ${id}\n`);
    expect(await fails("task", "show", id)).toContain(`no task "${id}"; the task list shows the ids`);
  });

  it("names every mistake with the form it expects", async () => {
    world = await World.start({ clock: new FakeClock(at("2026-06-01T10:00:00Z")) });
    const error = await fails("task", "add", "--group", "nope", "--chat", "not a jid", "--cron", "61 * * * *", "--zone", "Europe/Nowhere");
    expect(error).toContain('group: no group "nope"; arizuko group list shows them');
    expect(error).toContain('chat: invalid JID "not a jid"');
    expect(error).toContain("prompt: give the text the agent gets at each run");
    expect(error).toContain('schedule: unknown time zone "Europe/Nowhere"; use an IANA name such as Europe/Berlin or UTC');

    expect(await fails("task", "add", "--group", "main", "--chat", CHAT, "--prompt", "x", "--cron", "61 * * * *")).toContain('schedule: invalid cron expression "61 * * * *"');
    expect(await fails("task", "add", "--group", "main", "--chat", CHAT, "--prompt", "x")).toContain("schedule: give exactly one schedule");
    expect(await fails("task", "add", "--group", "main", "--chat", CHAT, "--prompt", "x", "--at", "tomorrow")).toContain(
      'schedule: invalid time "tomorrow"; expected ISO 8601 with an offset, e.g. "2026-12-24T18:00:00+01:00"',
    );
    expect(await fails("task", "add", "--group", "main", "--chat", CHAT, "--prompt", "x", "--every", "1h", "--context", "fresh")).toContain(
      'context: "fresh" is not a mode; use "group" (the chat\'s session) or "isolated" (a fresh session each run)',
    );
    expect(await fails("task", "pause", "tsk_missing")).toContain('no task "tsk_missing"');
    expect(world.db.prepare("SELECT count(*) AS n FROM scheduler_tasks").get()).toEqual({ n: 0 });
  });

  it("offline add, fired at next start", async () => {
    const dir = tempDir();
    const file = join(dir, "arizuko.yaml");
    writeFileSync(file, stringify({ http: { port: 0 }, plugins: PLUGINS }));
    const offlineClock = new FakeClock(at("2026-06-01T10:00:00Z"));
    const offline = await Kernel.boot(loadConfig({ file }), "offline", pino({ level: "silent" }), { plugins: [{ definition: schedulerPlugin({ clock: offlineClock }) }] });
    const result = await offline.runCli(["task", "add", "--group", "main", "--chat", CHAT, "--prompt", "from the cli", "--at", "2026-06-01T10:05:00Z"]);
    expect(result.exitCode, result.stderr).toBe(0);
    // A host booted for a command arms nothing, even with the task due.
    offlineClock.set(at("2026-06-01T10:10:00Z"));
    expect(offlineClock.armed).toBe(0);
    await offline.stop("command done");

    world = await World.start({ clock: new FakeClock(at("2026-06-01T10:10:00Z")), dir });
    const id = (world.db.prepare("SELECT id FROM scheduler_tasks").get() as { id: string }).id;
    await world.settled();
    await world.stepTo(at("2026-06-01T10:11:00Z"));
    expect(world.runs(id).map((run) => [iso(run.due_at), run.state])).toEqual([["2026-06-01T10:05:00.000Z", "done"]]);
    expect(world.replies()).toEqual(["echo: from the cli (context: 0)"]);
  });
});
