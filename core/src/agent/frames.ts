/**
 * Reads agent frames. An agent runner is untrusted input: every line it prints is
 * parsed and checked here, and anything malformed is a protocol error that fails
 * the run, never a crash of the host.
 */
import type { AgentFrame } from "@arizuko/sdk";
import Type, { type TSchema } from "typebox";
import { Compile, type Validator } from "typebox/compile";
import { errors } from "../errors.js";

/** Longest line accepted from an agent runner, in UTF-16 code units. */
export const MAX_FRAME_LENGTH = 1_000_000;

const RunId = Type.String({ minLength: 1, maxLength: 128 });

const FRAME_SCHEMAS: Record<AgentFrame["type"], TSchema> = {
  hello: Type.Object({
    type: Type.Literal("hello"),
    run_id: Type.Null(),
    protocol: Type.String({ maxLength: 32 }),
    features: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
    harnesses: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 64 }),
  }),
  delta: Type.Object({ type: Type.Literal("delta"), run_id: RunId, text: Type.String() }),
  message: Type.Object({
    type: Type.Literal("message"),
    run_id: RunId,
    text: Type.String({ minLength: 1 }),
    reply_to: Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()])),
  }),
  session: Type.Object({ type: Type.Literal("session"), run_id: RunId, session_id: Type.String({ minLength: 1, maxLength: 256 }) }),
  usage: Type.Object({
    type: Type.Literal("usage"),
    run_id: RunId,
    input_tokens: Type.Optional(Type.Integer({ minimum: 0 })),
    output_tokens: Type.Optional(Type.Integer({ minimum: 0 })),
    cost_usd: Type.Optional(Type.Number({ minimum: 0 })),
    model: Type.Optional(Type.String({ maxLength: 128 })),
  }),
  done: Type.Object({ type: Type.Literal("done"), run_id: RunId }),
  error: Type.Object({
    type: Type.Literal("error"),
    run_id: RunId,
    code: Type.String({ maxLength: 128 }),
    message: Type.String({ maxLength: 10_000 }),
    retryable: Type.Optional(Type.Boolean()),
  }),
};

const VALIDATORS = Object.fromEntries(
  Object.entries(FRAME_SCHEMAS).map(([type, schema]) => [type, Compile(schema)]),
) as Record<AgentFrame["type"], Validator>;

/** Parses one line from an agent runner; throws ARZ_ERR_PROTOCOL_FRAME naming the problem. */
export function parseAgentFrame(line: string): AgentFrame {
  if (line.length > MAX_FRAME_LENGTH) throw errors.protocolFrame(`line longer than ${MAX_FRAME_LENGTH} characters`);

  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw errors.protocolFrame(`not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }

  const type = (value as { type?: unknown } | null)?.type;
  const validator = typeof type === "string" && Object.hasOwn(VALIDATORS, type) ? VALIDATORS[type as AgentFrame["type"]] : undefined;
  if (!validator) throw errors.protocolFrame(`unknown frame type ${JSON.stringify(type)}`);
  if (!validator.Check(value)) {
    const first = validator.Errors(value)[0];
    throw errors.protocolFrame(`${type} frame: ${first?.instancePath || "(frame)"} ${first?.message ?? "is invalid"}`);
  }
  return value as AgentFrame;
}
