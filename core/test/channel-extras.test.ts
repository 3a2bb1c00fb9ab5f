/**
 * Two things channels get from the host beyond storing and sending: messages stored as
 * context only (history a platform replays at link time), which never start a run but
 * reach the next run of their chat, and CLI commands that show progress while they run
 * (a login waiting for a phone), streamed through the admin socket.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { definePlugin } from "@arizuko/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { sendAdminCommand } from "../src/cli/admin-socket.js";
import { fixtureAgent, startInstance, type TestInstance } from "./helpers/instance.js";
import { testChannel } from "./helpers/test-channel.js";
import { sleep, waitFor } from "./helpers/wait.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

describe("context-only messages", () => {
  it("stored as context, seen by the next run", async () => {
    const channel = testChannel({ platform: "hist" });
    instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") }, admission: { hist: { policy: "open" } } }, plugins: [{ definition: channel.plugin }] });
    await waitFor(() => instance!.kernel.channels.list().some((entry) => entry.name === "hist"));
    await instance.kernel.runCli(["route", "add", "platform=hist", "main"]);

    await channel.say("a", "said before the link", { id: "old", context: "history from before the link" });
    await sleep(300);
    const row = () => instance!.kernel.store.db.prepare("SELECT state, group_folder, route_layer, route_reason FROM messages WHERE platform_id = 'old'").get();
    expect(row()).toEqual({ state: "context", group_folder: null, route_layer: "channel", route_reason: "history from before the link" });
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM runs").get()).toEqual({ n: 0 });

    await channel.say("a", "and now?");
    await waitFor(() => channel.sent.length === 1, { what: "the answer" });
    expect(instance.kernel.store.db.prepare("SELECT count(*) AS n FROM runs").get()).toEqual({ n: 1 });
    expect(row()).toMatchObject({ state: "context" });
    const runs = readFileSync(join(instance.kernel.groups.path("main"), "runs.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { texts: string[]; context: string[] });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.texts).toEqual(["and now?"]);
    expect(runs[0]!.context.join("\n")).toContain("said before the link");
  });

  it("empty reason rejected", async () => {
    const channel = testChannel({ platform: "hist" });
    instance = await startInstance({ plugins: [{ definition: channel.plugin }] });
    await waitFor(() => instance!.kernel.channels.list().some((entry) => entry.name === "hist"));
    await expect(channel.say("a", "x", { context: "" })).rejects.toThrow(/context must NOT have fewer than 1 characters/);
  });
});

describe("CLI progress", () => {
  it("progress through the admin socket", async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = definePlugin({
      name: "slow",
      version: "1.0.0",
      apiVersion: 1,
      register(host) {
        host.cli.register({
          name: "slow",
          description: "prints progress, then waits to be released",
          async run({ print }) {
            print("step 1");
            print("step 2\n");
            await released;
            return "done";
          },
        });
      },
    });
    instance = await startInstance({ plugins: [{ definition: slow }] });

    const progress: string[] = [];
    const result = sendAdminCommand(instance.dataDir, ["slow"], (text) => progress.push(text));
    await waitFor(() => progress.length === 2, { what: "the progress lines" });
    expect(progress).toEqual(["step 1\n", "step 2\n"]);
    release();
    expect(await result).toEqual({ exitCode: 0, stdout: "done\n", stderr: "" });

    // Without a listener, progress lands in the output in order.
    const inline = await instance.kernel.runCli(["slow"]);
    expect(inline.stdout).toBe("step 1\nstep 2\ndone\n");
  });
});
