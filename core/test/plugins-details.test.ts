/** `arizuko plugins`: installed plugin packages, and with --details what each registered, read from the live registries. */
import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startInstance, tempDir, type TestInstance } from "./helpers/instance.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
});

function installed(dir: string, name: string, version: string): void {
  mkdirSync(join(dir, "node_modules", name), { recursive: true });
  writeFileSync(join(dir, "node_modules", name, "package.json"), JSON.stringify({ name, version }));
}

describe("arizuko plugins", () => {
  it("names plugin packages that are installed but not configured", async () => {
    const dir = tempDir();
    installed(dir, "arizuko-plugin-hello", "1.2.3");
    installed(dir, "@acme/arizuko-plugin-crm", "0.4.0");
    installed(dir, "left-pad", "1.3.0");
    instance = await startInstance({ dir });
    const { stdout } = await instance.kernel.runCli(["plugins"]);
    const listed = stdout.split("installed, not in the config's plugins (add one to load it):\n")[1]!.split("\n").filter((line) => line.startsWith("  "));
    expect(listed).toContain("  arizuko-plugin-hello 1.2.3");
    expect(listed).toContain("  @acme/arizuko-plugin-crm 0.4.0");
    expect(listed.join("\n")).not.toContain("left-pad");
    // The loaded ones are in the table, not in this list.
    expect(listed.join("\n")).not.toContain("@arizuko/plugin-web");
  });
});

describe("arizuko plugins --details", () => {
  it("lists each plugin's hooks, routes, tools and commands", async () => {
    instance = await startInstance();
    const result = await instance.kernel.runCli(["plugins", "--details"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const block = (plugin: string) => result.stdout.split(`\n${plugin}\n`)[1]!.split(/\n(?! )/)[0]!;

    expect(block("route-table")).toBe(
      [
        "  hooks: onResolve",
        "  routes: GET /admin/routes, POST /admin/routes, PATCH /admin/routes/:id, DELETE /admin/routes/:id, POST /admin/routes/explain",
        "  tools: list_routes, add_route, delete_route, set_routes",
        "  cli: arizuko route",
      ].join("\n"),
    );
    expect(block("route-command")).toBe(["  hooks: onControl", "  chat commands: /new, /stop, /ping, /status, /chatid, /help"].join("\n"));
    expect(block("scheduler")).toContain("  tools: schedule_task, list_tasks, pause_task, resume_task, cancel_task\n  cli: arizuko task");
    expect(block("core")).toContain("GET /metrics");

    // Without the flag, only the table.
    expect((await instance.kernel.runCli(["plugins"])).stdout).not.toContain("hooks:");
  });
});
