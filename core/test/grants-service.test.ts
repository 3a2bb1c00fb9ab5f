/**
 * Grants in a running kernel: defaults from the live route table, operator overrides
 * through `arizuko grants`, and the core's beforeToolCall gate that names the rule.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "./helpers/instance.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

async function start(): Promise<TestInstance> {
  const started = await startInstance({ config: { grants: { operatorGroup: "ops" } } });
  for (const folder of ["ops", "main/research", "main/research/deep"]) started.kernel.groups.add(folder);
  return started;
}

const cli = (target: TestInstance, argv: string[]) => target.kernel.runCli(argv);
const gate = (target: TestInstance, group: string, tool: string, args: Record<string, unknown>, senderRole: "operator" | "member" | "guest" = "member") =>
  target.kernel.hooks.gate("beforeToolCall", { tool, args, runId: "run_test", group, chat: "web:default/t", topic: "", senderRole, delegatedBy: null });

describe("grants in the kernel", () => {
  it("derives main's defaults from the seeded web route", async () => {
    instance = await start();
    const listing = await cli(instance, ["grants", "show", "main"]);
    expect(listing.stdout.trim().split("\n")).toEqual(["*(platform=web)    (default)", "*(!platform)    (default)"]);
  });

  it("gives the operator group everything", async () => {
    instance = await start();
    expect((await cli(instance, ["grants", "check", "ops", "set_grants"])).stdout.split("\n")[0]).toBe("allowed by *");
  });

  it("reads the platform from the chat param", async () => {
    instance = await start();
    expect((await cli(instance, ["grants", "check", "main/research", "send", "chat=web:local/c1"])).stdout.split("\n")[0]).toBe("allowed by send(platform=web)");
    expect((await cli(instance, ["grants", "check", "main/research", "send", "chat=telegram:1/2"])).stdout.split("\n")[0]).toBe("denied: no grant rule of main/research allows send");
  });

  it("exits 1 on a denial and says which role it checked", async () => {
    instance = await start();
    const denied = await cli(instance, ["grants", "check", "main/research", "send", "chat=telegram:1/2"]);
    expect(denied.exitCode).toBe(1);
    expect(denied.stdout.split("\n")[1]).toBe("(checked as sender_role=member; pass sender_role=guest or operator for others)");
    const allowed = await cli(instance, ["grants", "check", "main", "send", "chat=web:local/c1", "sender_role=guest"]);
    expect(allowed).toMatchObject({ exitCode: 0, stdout: "allowed by *(platform=web)\n" });
  });

  it("rejects an unknown role and notes an unknown tool", async () => {
    instance = await start();
    const role = await cli(instance, ["grants", "check", "main", "send", "sender_role=admin"]);
    expect(role.exitCode).toBe(1);
    expect(role.stderr).toMatch(/sender_role must be one of operator, member, guest, got "admin"/);
    const typo = await cli(instance, ["grants", "check", "main", "sned", "chat=web:local/c1", "sender_role=member"]);
    expect(typo.stdout).toContain("note: no tool named sned is registered");
  });

  it("names the limits layer that denied a call", async () => {
    instance = await start();
    instance.kernel.grants.setLimits("main", ["reply"], "main");
    const verdict = await cli(instance, ["grants", "check", "main", "send", "chat=web:local/c1", "sender_role=member"]);
    expect(verdict.stdout.split("\n")[0]).toBe("denied: no grant rule of the limits set on main allows send");
    expect(await gate(instance, "main/research", "send", { chat: "web:local/c1" })).toEqual({ deny: "no grant rule of the limits set on main allows send" });
  });

  it("applies overrides after the defaults", async () => {
    instance = await start();
    const set = await cli(instance, ["grants", "set", "main", "!send(chat=web:local/secret)"]);
    expect(set.stdout.trim()).toBe("1 override set for main");
    expect((await cli(instance, ["grants", "check", "main", "send", "chat=web:local/secret"])).stdout.split("\n")[0]).toBe("denied by grant rule !send(chat=web:local/secret)");
    expect((await cli(instance, ["grants", "check", "main", "send", "chat=web:local/c1"])).stdout.split("\n")[0]).toBe("allowed by *(platform=web)");
    expect((await cli(instance, ["grants", "show", "main"])).stdout).toContain("!send(chat=web:local/secret)    (override)");

    expect((await cli(instance, ["grants", "set", "main"])).stdout.trim()).toBe("overrides of main cleared");
    expect((await cli(instance, ["grants", "check", "main", "send", "chat=web:local/secret"])).stdout.split("\n")[0]).toBe("allowed by *(platform=web)");
  });

  it("rejects a bad override and keeps the old ones", async () => {
    instance = await start();
    await cli(instance, ["grants", "set", "main", "!delete"]);
    const bad = await cli(instance, ["grants", "set", "main", "send", "reply(chat="]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/rule 2: invalid grant rule "reply\(chat=" at position 12: missing "\)"/);
    expect((await cli(instance, ["grants", "show", "main"])).stdout).toContain("!delete    (override)");
  });

  it("refuses an unknown group", async () => {
    instance = await start();
    const result = await cli(instance, ["grants", "show", "nope"]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(/group nope does not exist/);
  });

  it("lets the gate allow a granted tool call", async () => {
    instance = await start();
    expect(await gate(instance, "main/research", "reply", { chat: "web:local/c1", text: "hi" })).toBeNull();
  });

  it("makes the gate name the rule that denied", async () => {
    instance = await start();
    await cli(instance, ["grants", "set", "main", "!send(sender_role=guest)"]);
    expect(await gate(instance, "main", "send", { chat: "web:local/c1" }, "guest")).toEqual({ deny: "denied by grant rule !send(sender_role=guest)" });
    expect(await gate(instance, "main", "send", { chat: "web:local/c1" }, "member")).toBeNull();
  });

  it("makes the gate say when no rule allows a call", async () => {
    instance = await start();
    expect(await gate(instance, "main/research/deep", "send", { chat: "web:local/c1" })).toEqual({ deny: "no grant rule of main/research/deep allows send" });
  });
});
