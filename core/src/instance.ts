/**
 * `host.instance`: the running instance as operators see it. The dashboard reads it,
 * and records in the audit log every change an operator makes through the web.
 */
import type { AuditEntry, InstanceApi, PairingInfo, PluginInfo, RunInfo, RunTotals } from "@arizuko/sdk";
import { activityApi, RUN_INFO_COLUMNS } from "./activity.js";
import type { GrantsService } from "./grants/service.js";
import { groupAdmin } from "./group-admin.js";
import type { GroupService } from "./groups/groups.js";
import type { Admission, Pairing } from "./pipeline/admission.js";
import type { PluginStatuses } from "./plugins/status.js";
import type { Store } from "./store/index.js";

export interface InstanceParts {
  store: Store;
  version: string;
  startedAt: () => number;
  statuses: PluginStatuses;
  admission: Admission;
  groups: GroupService;
  grants: GrantsService;
}

const toInfo = (pairing: Pairing): PairingInfo => ({
  code: pairing.code,
  platform: pairing.platform,
  sender: pairing.sender,
  chat: pairing.chat,
  createdAt: pairing.createdAt,
  expiresAt: pairing.expiresAt,
});

export function instanceApi({ store, version, startedAt, statuses, admission, groups, grants }: InstanceParts): InstanceApi {
  const db = store.db;
  const statements = {
    queued: db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state = 'pending'"),
    record: db.prepare("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)"),
    list: db.prepare("SELECT id, at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?"),
    runs: db.prepare(
      `SELECT ${RUN_INFO_COLUMNS}
       FROM runs WHERE started_at >= @since AND started_at < @until AND (@group IS NULL OR group_folder = @group)
       ORDER BY started_at DESC LIMIT @limit`,
    ),
    // A run counts as failed unless it ended done or is still running.
    totals: db.prepare(
      `SELECT date(started_at / 1000, 'unixepoch') AS day, group_folder AS "group", count(*) AS runs,
              sum(state NOT IN ('done', 'running')) AS failed,
              coalesce(sum(ended_at - started_at), 0) AS durationMs,
              sum(json_extract(usage, '$.input_tokens')) AS inputTokens,
              sum(json_extract(usage, '$.output_tokens')) AS outputTokens,
              sum(json_extract(usage, '$.cost_usd')) AS costUsd
       FROM runs WHERE started_at >= @since AND started_at < @until
       GROUP BY day, group_folder ORDER BY day, group_folder`,
    ),
  };

  return {
    version,
    get startedAt() {
      return startedAt();
    },
    plugins(): PluginInfo[] {
      return statuses
        .all()
        .filter(([name]) => name !== "core")
        .map(([name, status]) => ({ name, state: status.state, error: status.error ?? null, version: status.version, failures: status.failures }));
    },
    queueDepth: () => (statements.queued.get() as { n: number }).n,
    pairings: {
      pending: () => admission.pending().map(toInfo),
      approve: (code) => toInfo(admission.approve(code)),
      reject: (code) => admission.reject(code),
    },
    runs: {
      list: (query) => statements.runs.all({ since: query.since, until: query.until, group: query.group ?? null, limit: query.limit }) as RunInfo[],
      totals: (query) => statements.totals.all(query) as RunTotals[],
    },
    audit: {
      record(entry) {
        statements.record.run(Date.now(), entry.actor, entry.action, entry.target, entry.detail);
      },
      list: (limit) => statements.list.all(limit) as AuditEntry[],
    },
    activity: activityApi(store),
    groups: groupAdmin(db, groups, grants),
  };
}
