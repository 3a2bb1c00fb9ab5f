/**
 * A group's grants: the defaults derived from its depth and routes, then the operator's
 * overrides stored in `group_grants`. The core's `beforeToolCall` tap checks every
 * tool call against them; a denial names the deciding rule.
 */
import type { Deny, Disposer, RoutesService, ToolCallSubject } from "@arizuko/sdk";
import { tryParseJid } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { Hooks } from "../hooks/hooks.js";
import type { NameRegistry } from "../plugins/registry.js";
import type { Db } from "../store/db.js";
import { deriveRules } from "./derive.js";
import { check, parseRules, type Verdict } from "./rules.js";

export interface GroupGrants {
  derived: string[];
  overrides: string[];
}

/** Tool arguments as grant params: strings and numbers, plus `platform` read from `chat`. */
export function grantParams(args: Record<string, unknown>, senderRole: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(args)) {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") params[name] = String(value);
  }
  const chat = params.chat !== undefined ? tryParseJid(params.chat) : null;
  if (chat?.kind === "chat" && params.platform === undefined) params.platform = chat.platform;
  params.sender_role = senderRole;
  return params;
}

export class GrantsService {
  private readonly statements;

  constructor(
    db: Db,
    private readonly services: NameRegistry<unknown>,
    private readonly operatorGroup: string | null,
    private readonly log: Logger,
  ) {
    this.statements = {
      get: db.prepare("SELECT rules FROM group_grants WHERE group_folder = ?"),
      set: db.prepare(
        `INSERT INTO group_grants (group_folder, rules, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (group_folder) DO UPDATE SET rules = excluded.rules, updated_at = excluded.updated_at`,
      ),
      clear: db.prepare("DELETE FROM group_grants WHERE group_folder = ?"),
    };
  }

  /** Returns the group's rules, defaults first; routes come from the `routes` service when it runs. */
  rules(group: string): GroupGrants {
    const routes = (this.services.get("routes")?.value as RoutesService | undefined)?.list() ?? [];
    const row = this.statements.get.get(group) as { rules: string } | undefined;
    return { derived: deriveRules({ folder: group, operatorGroup: this.operatorGroup, routes }), overrides: row ? (JSON.parse(row.rules) as string[]) : [] };
  }

  /** Replaces the group's overrides; every rule must parse (the error names the bad one). */
  setOverrides(group: string, rules: string[]): void {
    parseRules(rules);
    if (rules.length === 0) this.statements.clear.run(group);
    else this.statements.set.run(group, JSON.stringify(rules), Date.now());
    this.log.info({ group, rules }, "grant overrides set");
  }

  check(group: string, action: string, params: Record<string, string | undefined>): Verdict {
    const { derived, overrides } = this.rules(group);
    return check(parseRules([...derived, ...overrides]), action, params);
  }

  /** Taps `beforeToolCall` as the core, before any plugin: plugins may only deny more. */
  tap(hooks: Hooks): Disposer {
    return hooks.tap(
      "beforeToolCall",
      "core",
      (subject: ToolCallSubject): Deny | undefined => {
        const verdict = this.check(subject.group, subject.tool, grantParams(subject.args, subject.senderRole));
        if (verdict.allowed) return undefined;
        return { deny: verdict.rule === null ? `no grant rule of ${subject.group} allows ${subject.tool}` : `denied by grant rule ${verdict.rule}` };
      },
      { stage: -1000 },
    );
  }
}
