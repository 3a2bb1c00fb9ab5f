/** `arizuko plugins --details`: what each plugin registered, read from the live registries. */
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "./helpers/instance.js";

let instance: TestInstance | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
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
