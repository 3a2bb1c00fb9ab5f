/**
 * `host.instance`: the running instance as operators see it. The dashboard reads it,
 * and records in the audit log every change an operator makes through the web.
 */
import type { AuditEntry, InstanceApi, PairingInfo, PluginInfo } from "@arizuko/sdk";
import type { Admission, Pairing } from "./pipeline/admission.js";
import type { PluginStatuses } from "./plugins/status.js";
import type { Db } from "./store/db.js";

const toInfo = (pairing: Pairing): PairingInfo => ({
  code: pairing.code,
  platform: pairing.platform,
  sender: pairing.sender,
  chat: pairing.chat,
  createdAt: pairing.createdAt,
  expiresAt: pairing.expiresAt,
});

export function instanceApi(db: Db, version: string, startedAt: () => number, statuses: PluginStatuses, admission: Admission): InstanceApi {
  const statements = {
    queued: db.prepare("SELECT count(*) AS n FROM messages WHERE direction = 'in' AND state = 'pending'"),
    record: db.prepare("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)"),
    list: db.prepare("SELECT id, at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT ?"),
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
    audit: {
      record(entry) {
        statements.record.run(Date.now(), entry.actor, entry.action, entry.target, entry.detail);
      },
      list: (limit) => statements.list.all(limit) as AuditEntry[],
    },
  };
}
