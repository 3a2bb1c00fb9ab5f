/**
 * Validates a value against a TypeBox schema, applying the schema's defaults, and turns
 * TypeBox's errors into sentences an operator can act on: the field, what was
 * expected, what was found.
 */
import type { TSchema } from "typebox";
import Value from "typebox/value";

export interface Validated<T> {
  value: T;
  problems: string[];
}

interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message: string;
}

/** `/http/port` → `http.port`; `/plugins/0` → `plugins[0]`. */
export function fieldName(instancePath: string, base = ""): string {
  const parts = instancePath.split("/").slice(1).map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
  let field = base;
  for (const part of parts) {
    if (/^\d+$/.test(part)) field += `[${part}]`;
    else field += field ? `.${part}` : part;
  }
  return field || "(top level)";
}

function valueAt(value: unknown, instancePath: string): unknown {
  let current = value;
  for (const part of instancePath.split("/").slice(1)) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

/** Finds the sub-schema at a JSON pointer like `#/properties/plugins/items`. */
function schemaAt(schema: TSchema, pointer: string): Record<string, unknown> | undefined {
  let current: unknown = schema;
  for (const part of pointer.replace(/^#\/?/, "").split("/").filter(Boolean)) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return typeof current === "object" && current !== null ? (current as Record<string, unknown>) : undefined;
}

function describeError(error: SchemaError, input: unknown, base: string, schema: TSchema): string | null {
  const field = fieldName(error.instancePath, base);
  const got = shown(valueAt(input, error.instancePath));
  const params = error.params;

  switch (error.keyword) {
    case "required":
      return `${field}: missing required field ${(params.requiredProperties as string[]).map((name) => `"${name}"`).join(", ")}`;
    case "additionalProperties":
      return `${field}: unknown field ${(params.additionalProperties as string[]).map((name) => `"${name}"`).join(", ")}; remove it or check its spelling`;
    case "boolean":
      return null; // reported by the additionalProperties error of the parent
    case "enum":
      return `${field}: expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, got ${got}`;
    case "type":
      return `${field}: expected ${[params.type].flat().join(" or ")}, got ${got}`;
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum":
      return `${field}: expected a number ${params.comparison} ${params.limit}, got ${got}`;
    case "minLength":
      return `${field}: expected at least ${params.limit} characters, got ${got}`;
    case "maxLength":
      return `${field}: expected at most ${params.limit} characters, got ${got}`;
    case "minItems":
      return `${field}: expected at least ${params.limit} items, got ${got}`;
    case "maxItems":
      return `${field}: expected at most ${params.limit} items, got ${got}`;
    case "pattern":
      return `${field}: expected text matching ${params.pattern}, got ${got}`;
    case "anyOf":
    case "oneOf": {
      const description = schemaAt(schema, error.schemaPath)?.description;
      return typeof description === "string" ? `${field}: expected ${description}, got ${got}` : `${field}: ${got} matches none of the allowed forms`;
    }
    default:
      return `${field}: ${error.message}, got ${got}`;
  }
}

/**
 * Applies defaults to a copy of `input` and checks it. `base` prefixes field names
 * (`plugins[0].config`) so a message points at the right place in the file.
 */
export function validate<T>(schema: TSchema, input: unknown, base = ""): Validated<T> {
  // Convert first: a value from `${ENV}` is always text, even where the schema wants a number.
  const copy = input === undefined ? undefined : Value.Convert(schema, structuredClone(input));
  const value = Value.Default(schema, copy);
  const raw = [...Value.Errors(schema, value)] as unknown as SchemaError[];

  // A union reports one error per branch plus its own; keep only the union's.
  const unionPaths = new Set(raw.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => e.instancePath));
  const problems = raw
    .filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf" || !unionPaths.has(e.instancePath))
    .map((e) => describeError(e, value, base, schema))
    .filter((line): line is string => line !== null);

  return { value: value as T, problems: [...new Set(problems)] };
}
