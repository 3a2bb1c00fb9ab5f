/**
 * Start-up recovery after a crash or a kill. Runs before any new work is accepted:
 *
 *   1. runs left `running` are dead: their runner processes are killed if still alive;
 *      their messages count as answered if the run stored a reply, else go back to
 *      `pending` and run again;
 *   2. inbound messages committed but never routed are routed now;
 *   3. units with pending messages are queued, and outbox rows are sent (rows caught
 *      mid-send are confirmed by idempotency key where the channel can, else resent).
 */
import type { Logger } from "pino";
import type { Runner } from "../agent/runner.js";
import type { Store } from "../store/index.js";
import type { ChannelRegistry } from "./channels.js";
import type { Intake } from "./intake.js";

export interface RecoveryReport {
  deadRuns: number;
  answered: number;
  requeued: number;
  unrouted: number;
}

/** Step 1; call before channels start, so nothing new mixes with the dead runs' messages. */
export function recoverRuns(store: Store, runner: Runner, log: Logger): Omit<RecoveryReport, "unrouted"> {
  const report = { deadRuns: 0, answered: 0, requeued: 0 };

  for (const run of store.runs.running()) {
    if (run.pid !== null) runner.reap(run.pid, run.id);

    store.transaction(() => {
      if (run.delivered > 0) {
        store.runs.settleMessages(run.id, "done");
        report.answered += 1;
      } else {
        report.requeued += store.runs.releaseMessages(run.id);
      }
      store.runs.finish(run.id, "abandoned", "host stopped during the run", Date.now());
    });
    report.deadRuns += 1;
  }

  if (report.deadRuns > 0) log.warn(report, "recovered runs interrupted by a restart");
  return report;
}

/** Step 2: routes inbound messages that were committed but not routed before the stop. */
export function recoverUnrouted(store: Store, channels: ChannelRegistry, intake: Intake, log: Logger): number {
  const messages = store.messages.unrouted();
  for (const message of messages) {
    const channel = channels.entryForChat(message.chat)?.channel.name ?? "unknown";
    intake.submit(message, channel);
  }
  if (messages.length > 0) log.info({ messages: messages.length }, "routing messages stored before the restart");
  return messages.length;
}
