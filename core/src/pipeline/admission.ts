/**
 * The core's own admission tap on `onAdmit`: which senders may start runs, per
 * platform. Plugins may add taps that deny more; none can admit what this denies.
 * A message that is not admitted is stored as context and starts nothing.
 */
import type { Deny, Disposer } from "@arizuko/sdk";
import { parseChatJid } from "@arizuko/sdk";
import type { AdmissionConfig, Config } from "../config/schema.js";
import type { Hooks } from "../hooks/hooks.js";

/** The local web chat is open by default; every other platform admits nobody until configured. */
const DEFAULT_POLICY: Record<string, AdmissionConfig> = {
  web: { policy: "open", allow: [] },
};
const CLOSED: AdmissionConfig = { policy: "allowlist", allow: [] };

/** `telegram:111` matches itself; a trailing `*` matches any rest. */
function listed(value: string, patterns: string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith("*") ? value.startsWith(pattern.slice(0, -1)) : value === pattern));
}

export function admissionPolicy(config: Config["admission"], platform: string): AdmissionConfig {
  return config[platform] ?? DEFAULT_POLICY[platform] ?? CLOSED;
}

export function tapAdmission(hooks: Hooks, config: Config["admission"]): Disposer {
  return hooks.tap(
    "onAdmit",
    "core",
    ({ message }): Deny | undefined => {
      const { platform } = parseChatJid(message.chat);
      const policy = admissionPolicy(config, platform);
      if (policy.policy === "open") return undefined;
      const allow = policy.allow ?? [];
      if (listed(message.sender, allow) || listed(message.chat, allow)) return undefined;
      return { deny: `sender ${message.sender} is not on the ${platform} allowlist` };
    },
    { stage: -1000 },
  );
}
