/**
 * The commented config `arizuko init` writes, rendered from plugin schemas made for
 * each case: what is written as a value, what stays a comment, and what parses.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { JsonSchema } from "@arizuko/sdk";
import { configTemplate, type TemplatePlugin } from "../src/config/template.js";

const now = new Date("2026-01-02T03:04:05Z");

const gateway: TemplatePlugin = {
  name: "sms-gateway",
  description: "Text messages through a gateway.",
  configSchema: {
    type: "object",
    required: ["apiKey", "numbers"],
    properties: {
      apiKey: { type: "string", minLength: 8, description: "the gateway's key" },
      numbers: {
        type: "array",
        items: { type: "object", required: ["phone"], properties: { phone: { type: "string" }, label: { type: "string", default: "" } } },
      },
      retries: { type: "integer", minimum: 0, default: 3 },
    },
  } as JsonSchema,
};

const optional: TemplatePlugin = {
  name: "quiet",
  configSchema: {
    type: "object",
    required: ["targets"],
    properties: {
      targets: { type: "array", items: { type: "object", properties: { name: { type: "string" } } } },
      upstream: { type: "object", required: ["baseUrl"], properties: { baseUrl: { type: "string" }, token: { type: "string" } } },
    },
  } as JsonSchema,
};

function render(plugins: TemplatePlugin[], env: NodeJS.ProcessEnv = {}, values: Record<string, unknown> = {}) {
  return configTemplate({ plugins, values, env, now });
}

describe("config template", () => {
  it("writes required settings as environment references", () => {
    const template = render([gateway], { SMS_GATEWAY_API_KEY: "k", SMS_GATEWAY_PHONE: "1" });
    expect(template.pending).toEqual([]);
    expect(template.variables).toEqual(["SMS_GATEWAY_API_KEY", "SMS_GATEWAY_PHONE"]);
    expect(parse(template.text).plugins).toEqual([{ use: "sms-gateway", config: { apiKey: "${SMS_GATEWAY_API_KEY}", numbers: [{ phone: "${SMS_GATEWAY_PHONE}" }] } }]);
    expect(template.text).toContain("      # the gateway's key (string, required)\n      apiKey: ${SMS_GATEWAY_API_KEY}\n");
    expect(template.text).toContain("      # retries: 3\n");
    expect(template.text).toContain("          # label: \"\"\n");
  });

  it("comments out a plugin whose variables are unset", () => {
    const template = render([{ name: "web" }, gateway], { SMS_GATEWAY_API_KEY_FILE: "/run/secrets/key" });
    expect(template.pending).toEqual([{ plugin: "sms-gateway", variables: ["SMS_GATEWAY_PHONE"] }]);
    expect(parse(template.text).plugins).toEqual(["web"]);
    expect(template.text).toContain("  # - use: sms-gateway\n  #   config:\n");
    expect(template.text).toContain("To load sms-gateway, set SMS_GATEWAY_PHONE in the environment");
  });

  it("starts a list without required fields empty", () => {
    const template = render([optional]);
    expect(template.pending).toEqual([]);
    expect(parse(template.text).plugins).toEqual([{ use: "quiet", config: { targets: [] } }]);
    expect(template.text).toContain("      targets: []\n          # string\n          # name:\n");
  });

  it("keeps an optional section as comments", () => {
    const template = render([optional]);
    expect(template.text).toContain("      # upstream:\n        # string, required\n        # baseUrl:\n");
    expect(template.text).toContain("        # token: ${QUIET_TOKEN}\n");
  });

  it("writes the given core values and comments the rest", () => {
    const config = parse(render([{ name: "web" }], {}, { data: "../state", "http.port": 9000 }).text);
    expect(config.data).toBe("../state");
    expect(config.http).toEqual({ port: 9000 });
    expect(config.runner).toBeUndefined();
    expect(render([{ name: "web" }]).text).toContain("# apiKey: ${MODEL_API_KEY}");
  });

  it("suggests pairing for gated platforms only", () => {
    expect(render([{ name: "web" }, { name: "discord" }]).text).toContain("# admission:\n#   discord: { policy: pairing }\n");
    expect(render([{ name: "web" }]).text).not.toContain("# admission:");
  });
});
