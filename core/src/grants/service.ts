/**
 * A group's grants: the defaults derived from its depth and routes, then the operator's
 * overrides stored in `group_grants`. The core's `beforeToolCall` tap checks every
 * tool call against them; a denial names the deciding rule.
 */
import type { Deny, Disposer, RoutesService, ToolCallSubject } from "@arizuko/sdk";
import { parentFolder, tryParseJid } from "@arizuko/sdk";
import type { Logger } from "pino";
import type { Hooks } from "../hooks/hooks.js";
import type { NameRegistry } from "../plugins/registry.js";
import type { Db } from "../store/db.js";
import { deriveRules } from "./derive.js";
import { checkGrants, layerLabel, mayAllowGrants, parseRules, type GrantRule, type Grants, type Verdict } from "./rules.js";

export interface GroupGrants {
  derived: string[];
  overrides: string[];
  /** Limits set through `set_grants` on this group or an ancestor, nearest last. */
  limits: Array<{ group: string; rules: string[] }>;
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
      getLimits: db.prepare("SELECT rules FROM group_grant_limits WHERE group_folder = ?"),
      setLimits: db.prepare(
        `INSERT INTO group_grant_limits (group_folder, rules, set_by, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_folder) DO UPDATE SET rules = excluded.rules, set_by = excluded.set_by, updated_at = excluded.updated_at`,
      ),
      clearLimits: db.prepare("DELETE FROM group_grant_limits WHERE group_folder = ?"),
    };
  }

  /** Returns the group's rules, defaults first; routes come from the `routes` service when it runs. */
  rules(group: string): GroupGrants {
    const routes = (this.services.get("routes")?.value as RoutesService | undefined)?.list() ?? [];
    const row = this.statements.get.get(group) as { rules: string } | undefined;
    return {
      derived: deriveRules({ folder: group, operatorGroup: this.operatorGroup, routes }),
      overrides: row ? (JSON.parse(row.rules) as string[]) : [],
      limits: this.limitsOf(group),
    };
  }

  /** Limits on `group` and its ancestors, the farthest first. */
  private limitsOf(group: string): Array<{ group: string; rules: string[] }> {
    const limits: Array<{ group: string; rules: string[] }> = [];
    for (let folder: string | null = group; folder !== null; folder = parentFolder(folder)) {
      const row = this.statements.getLimits.get(folder) as { rules: string } | undefined;
      if (row) limits.unshift({ group: folder, rules: JSON.parse(row.rules) as string[] });
    }
    return limits;
  }

  /**
   * Replaces the limits on `group` (an empty list removes them). Limits are a layer of
   * their own, checked after the group's rules, so they can never allow more.
   */
  setLimits(group: string, rules: string[], setBy: string): void {
    parseRules(rules);
    if (rules.length === 0) this.statements.clearLimits.run(group);
    else this.statements.setLimits.run(group, JSON.stringify(rules), setBy, Date.now());
    this.log.info({ group, rules, setBy }, "grant limits set");
  }

  /** Replaces the group's overrides; every rule must parse (the error names the bad one). */
  setOverrides(group: string, rules: string[]): void {
    parseRules(rules);
    if (rules.length === 0) this.statements.clear.run(group);
    else this.statements.set.run(group, JSON.stringify(rules), Date.now());
    this.log.info({ group, rules }, "grant overrides set");
  }

  /** Checks `action` for a run of `group` (not delegated). */
  check(group: string, action: string, params: Record<string, string | undefined>): Verdict {
    return checkGrants(this.effective(group, null), action, params);
  }

  /** Returns the layers a run of `group` works under; a delegated run's are narrowed by the delegating group's. */
  effective(group: string, delegatedBy: string | null): Grants {
    const parent = delegatedBy === null ? { layers: [], labels: [] } : this.layers(delegatedBy, ` (which delegated this run)`);
    const own = this.layers(group, "");
    return { layers: [...parent.layers, ...own.layers], labels: [...parent.labels, ...own.labels] };
  }

  private layers(group: string, note: string): { layers: GrantRule[][]; labels: string[] } {
    const { derived, overrides, limits } = this.rules(group);
    return {
      layers: [parseRules([...derived, ...overrides]), ...limits.map((limit) => parseRules(limit.rules))],
      labels: [`${group}${note}`, ...limits.map((limit) => `the limits set on ${limit.group}${note}`)],
    };
  }

  /** The sentence a denial shows: the rule that denied, or the layer no rule of which allowed the call. */
  static denial(set: Grants, verdict: Verdict, group: string, tool: string): string {
    const label = layerLabel(set, verdict) ?? group;
    if (verdict.rule === null) return `no grant rule of ${label} allows ${tool}`;
    return label === group ? `denied by grant rule ${verdict.rule}` : `denied by grant rule ${verdict.rule} of ${label}`;
  }

  /** Tells whether a run could call `tool` at all: tool lists show only these. */
  visible(group: string, delegatedBy: string | null, senderRole: string, tool: string): boolean {
    return mayAllowGrants(this.effective(group, delegatedBy), tool, { sender_role: senderRole });
  }

  /** Taps `beforeToolCall` as the core, before any plugin: plugins may only deny more. */
  tap(hooks: Hooks): Disposer {
    return hooks.tap(
      "beforeToolCall",
      "core",
      (subject: ToolCallSubject): Deny | undefined => {
        const set = this.effective(subject.group, subject.delegatedBy);
        const verdict = checkGrants(set, subject.tool, grantParams(subject.args, subject.senderRole));
        return verdict.allowed ? undefined : { deny: GrantsService.denial(set, verdict, subject.group, subject.tool) };
      },
      { stage: -1000 },
    );
  }
}
