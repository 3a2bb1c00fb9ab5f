/**
 * Reads agent frames. An agent runner is untrusted input: every line it prints is
 * parsed and checked here, and anything malformed is a protocol error that fails
 * the run, never a crash of the host.
 */
import type { AgentFrame } from "@arizuko/sdk";
import type { ValidateFunction } from "ajv";
import { compileStrict, type JsonSchema } from "../config/validate.js";
import { errors } from "../errors.js";

/** Longest line accepted from an agent runner, in UTF-16 code units. */
export const MAX_FRAME_LENGTH = 1_000_000;

const RUN_ID = { type: "string", minLength: 1, maxLength: 128 };

const frame = (type: string, properties: Record<string, unknown>, required: string[]): JsonSchema => ({
  type: "object",
  required: ["type", "run_id", ...required],
  properties: { type: { const: type }, run_id: RUN_ID, ...properties },
});

const FRAME_SCHEMAS: Record<AgentFrame["type"], JsonSchema> = {
  hello: frame(
    "hello",
    {
      run_id: { type: "null" },
      protocol: { type: "string", maxLength: 32 },
      features: { type: "array", maxItems: 64, items: { type: "string", maxLength: 64 } },
      harnesses: { type: "array", maxItems: 64, items: { type: "string", maxLength: 128 } },
    },
    ["protocol", "features", "harnesses"],
  ),
  delta: frame("delta", { text: { type: "string" } }, ["text"]),
  message: frame("message", { text: { type: "string", minLength: 1 }, reply_to: { type: ["string", "null"], maxLength: 512 } }, ["text"]),
  session: frame("session", { session_id: { type: "string", minLength: 1, maxLength: 256 } }, ["session_id"]),
  usage: frame(
    "usage",
    {
      input_tokens: { type: "integer", minimum: 0 },
      output_tokens: { type: "integer", minimum: 0 },
      cost_usd: { type: "number", minimum: 0 },
      model: { type: "string", maxLength: 128 },
    },
    [],
  ),
  done: frame("done", { steered: { type: "integer", minimum: 0 } }, []),
  error: frame(
    "error",
    { code: { type: "string", maxLength: 128 }, message: { type: "string", maxLength: 10_000 }, retryable: { type: "boolean" } },
    ["code", "message"],
  ),
};

/** Validators compiled on first use, so start-up does not pay for frames it may never read. */
const validators = new Map<AgentFrame["type"], ValidateFunction>();

function validatorFor(type: AgentFrame["type"]): ValidateFunction {
  let validator = validators.get(type);
  if (!validator) {
    validator = compileStrict(FRAME_SCHEMAS[type]);
    validators.set(type, validator);
  }
  return validator;
}

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
  const validator = typeof type === "string" && Object.hasOwn(FRAME_SCHEMAS, type) ? validatorFor(type as AgentFrame["type"]) : undefined;
  if (!validator) throw errors.protocolFrame(`unknown frame type ${JSON.stringify(type)}`);
  if (!validator(value)) {
    const first = validator.errors?.[0];
    throw errors.protocolFrame(`${type} frame: ${first?.instancePath || "(frame)"} ${first?.message ?? "is invalid"}`);
  }
  return value as AgentFrame;
}
