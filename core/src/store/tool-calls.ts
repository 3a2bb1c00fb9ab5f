/**
 * The record of agent tool calls: one row per call, whatever its verdict. Arguments
 * are kept only as a digest, so the record shows what ran and how, not the message text.
 */
import type { ToolCallVerdict } from "@arizuko/sdk";
import { createHash } from "node:crypto";
import { newId } from "../ids.js";
import type { Db } from "./db.js";

export interface ToolCallRecord {
  id: string;
  runId: string;
  group: string;
  tool: string;
  paramsDigest: string;
  verdict: ToolCallVerdict;
  error: string | null;
  durationMs: number;
  createdAt: number;
}

export interface NewToolCall {
  runId: string;
  group: string;
  tool: string;
  args: unknown;
  verdict: ToolCallVerdict;
  error: string | null;
  durationMs: number;
}

interface ToolCallRow {
  id: string;
  run_id: string;
  group_folder: string;
  tool: string;
  params_digest: string;
  verdict: ToolCallVerdict;
  error: string | null;
  duration_ms: number;
  created_at: number;
}

export function paramsDigest(args: unknown): string {
  return createHash("sha256").update(JSON.stringify(args ?? null)).digest("hex");
}

export class ToolCallStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO tool_calls (id, run_id, group_folder, tool, params_digest, verdict, error, duration_ms, created_at)
         VALUES (@id, @run_id, @group_folder, @tool, @params_digest, @verdict, @error, @duration_ms, @created_at)`,
      ),
      forRun: db.prepare("SELECT * FROM tool_calls WHERE run_id = ? ORDER BY created_at, rowid"),
    };
  }

  record(call: NewToolCall, now: number): string {
    const id = newId("call");
    this.statements.insert.run({
      id,
      run_id: call.runId,
      group_folder: call.group,
      tool: call.tool,
      params_digest: paramsDigest(call.args),
      verdict: call.verdict,
      error: call.error,
      duration_ms: Math.round(call.durationMs),
      created_at: now,
    });
    return id;
  }

  forRun(runId: string): ToolCallRecord[] {
    return (this.statements.forRun.all(runId) as ToolCallRow[]).map((row) => ({
      id: row.id,
      runId: row.run_id,
      group: row.group_folder,
      tool: row.tool,
      paramsDigest: row.params_digest,
      verdict: row.verdict,
      error: row.error,
      durationMs: row.duration_ms,
      createdAt: row.created_at,
    }));
  }
}
