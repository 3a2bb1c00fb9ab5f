/**
 * The Activity view of `host.instance`: recent messages across chats and the trace of
 * one message, from its storage through routing and its run to each delivery attempt.
 */
import type { DeliveryInfo, InstanceApi, MessageTrace, RunInfo, ToolCallInfo } from "@arizuko/sdk";
import type { Store } from "./store/index.js";
import type { MessageRecord } from "./store/messages.js";

/** Columns of a `runs` row as a RunInfo; usage is the JSON the harness's last usage frame left. */
export const RUN_INFO_COLUMNS = `id, group_folder AS "group", chat, topic, runner, harness, state, error, started_at AS startedAt, ended_at AS endedAt,
  json_extract(usage, '$.input_tokens') AS inputTokens, json_extract(usage, '$.output_tokens') AS outputTokens,
  json_extract(usage, '$.cost_usd') AS costUsd`;

export function activityApi(store: Store): InstanceApi["activity"] {
  const statements = {
    run: store.db.prepare(`SELECT ${RUN_INFO_COLUMNS} FROM runs WHERE id = ?`),
    deliveries: store.db.prepare(
      `SELECT id, chunk_index AS chunkIndex, chunk_count AS chunkCount, state, attempts, error,
              platform_message_id AS platformMessageId, created_at AS createdAt, updated_at AS updatedAt
       FROM outbox WHERE message_seq = ? ORDER BY chunk_index`,
    ),
  };

  const toolCalls = (runId: string): ToolCallInfo[] =>
    store.toolCalls.forRun(runId).map((call) => ({ id: call.id, tool: call.tool, verdict: call.verdict, error: call.error, durationMs: call.durationMs, createdAt: call.createdAt }));

  return {
    list: (query) => store.messages.activity(query),
    platforms: () => store.messages.platforms(),

    trace(seq): MessageTrace | null {
      const record = store.messages.bySeq(seq);
      if (!record) return null;
      const { notes, files, ...message } = record;

      const run = record.runId === null ? null : ((statements.run.get(record.runId) as RunInfo | undefined) ?? null);
      // An inbound message's replies are what its run wrote; an outbound one is its own reply.
      let written: MessageRecord[] = [];
      if (record.direction === "out") written = [record];
      else if (run) written = store.messages.writtenBy(run.id);
      const replies = written.map(({ notes: _notes, files: _files, ...reply }) => ({ message: reply, deliveries: statements.deliveries.all(reply.seq) as DeliveryInfo[] }));
      return { message, notes, files, run, toolCalls: run ? toolCalls(run.id) : [], replies };
    },
  };
}
