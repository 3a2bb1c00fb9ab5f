import { describe, expect, it } from "vitest";
import { definePlugin, HOST_API_VERSION, tablePrefix, type PluginDefinition } from "../src/plugin.js";

function pluginNamed(name: string): PluginDefinition {
  return { name, version: "0.1.0", apiVersion: HOST_API_VERSION, register: () => undefined };
}

/** Runs `action` and returns the error it throws. Fails the test when `action` returns normally. */
function thrownBy(action: () => unknown): { code: string; message: string } {
  try {
    action();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the call to throw, but it returned");
}

describe("definePlugin", () => {
  it.each(["web", "route-table", "a", "x2", "a".repeat(64)])("accepts the name %s", (name) => {
    const plugin = pluginNamed(name);
    expect(definePlugin(plugin)).toBe(plugin);
  });

  it.each([
    ["empty", ""],
    ["uppercase", "Web"],
    ["leading digit", "2web"],
    ["leading dash", "-web"],
    ["underscore", "route_table"],
    ["space", "route table"],
    ["slash", "acme/web"],
    ["dot", "web.js"],
    ["65 characters", "a".repeat(65)],
  ])("rejects a name with %s", (_case, name) => {
    const error = thrownBy(() => definePlugin(pluginNamed(name)));

    expect(error.code).toBe("ARZ_ERR_PLUGIN_NAME");
    expect(error.message).toContain(`plugin name ${JSON.stringify(name)}`);
  });
});

describe("tablePrefix", () => {
  it.each([
    ["route-table", "route_table_"],
    ["web", "web_"],
    ["http-channel-x", "http_channel_x_"],
  ])("prefix of %s is %s", (name, prefix) => {
    expect(tablePrefix(name)).toBe(prefix);
  });
});
