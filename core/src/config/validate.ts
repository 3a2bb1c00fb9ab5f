/**
 * Validates config values against JSON Schemas (TypeBox schemas are JSON Schemas),
 * applying the schemas' defaults and converting text to the number or boolean a
 * field needs, and turns the validator's errors into sentences an operator can act
 * on: the field, what was expected, what was found.
 *
 * ajv does the work: fastify loads it anyway, so validation adds no start-up cost.
 */
import { createRequire } from "node:module";
import type { ErrorObject, ValidateFunction } from "ajv";
import { SECRET_FIELD } from "../secrets.js";

// ajv is CommonJS; loading it through require keeps its default export's type simple.
const Ajv = createRequire(import.meta.url)("ajv") as typeof import("ajv").default;

/** Applies defaults, converts scalar types (and a scalar to a one-item list), reports every error. */
const configAjv = new Ajv({ useDefaults: true, coerceTypes: "array", allErrors: true, strict: false });
/** Checks without changing the value and stops at the first error: for hot paths. */
const strictAjv = new Ajv({ allErrors: false, strict: false });

const compiled = new WeakMap<object, ValidateFunction>();

export type JsonSchema = Record<string, unknown>;

export interface Validated<T> {
  value: T;
  problems: string[];
}

/** Compiles `schema` once for checks that must not alter the value. */
export function compileStrict<T>(schema: JsonSchema): ValidateFunction<T> {
  return strictAjv.compile<T>(schema);
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
    current = (current as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return current;
}


function shown(value: unknown, field = ""): string {
  if (value === undefined) return "nothing";
  if (SECRET_FIELD.test(field) && typeof value === "string") return `a hidden value of ${value.length} characters`;
  const text = JSON.stringify(value);
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

/** Finds the sub-schema at a JSON pointer like `#/properties/plugins/items/anyOf`. */
function schemaAt(schema: JsonSchema, pointer: string): Record<string, unknown> | undefined {
  let current: unknown = schema;
  for (const part of pointer.replace(/^#\/?/, "").split("/").filter(Boolean)) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[part.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return typeof current === "object" && current !== null ? (current as Record<string, unknown>) : undefined;
}

/**
 * Returns ` in <unit>` when the failing field's schema names a unit (the `unit` keyword,
 * which arizuko adds and ajv ignores). The error for `30d` in a days field then names days.
 */
function unitOf(error: ErrorObject, schema: JsonSchema): string {
  const unit = schemaAt(schema, error.schemaPath.replace(/\/[^/]+$/, ""))?.unit;
  return typeof unit === "string" ? ` in ${unit}` : "";
}

function describeError(error: ErrorObject, input: unknown, base: string, schema: JsonSchema): string {
  const field = fieldName(error.instancePath, base);
  const got = shown(valueAt(input, error.instancePath), field);
  const params = error.params as Record<string, unknown>;
  if (error.propertyName !== undefined) {
    const description = schemaAt(schema, error.schemaPath.replace(/\/[^/]+$/, ""))?.description;
    return `${field}: the key ${JSON.stringify(error.propertyName)} is not ${typeof description === "string" ? description : "allowed"}`;
  }

  switch (error.keyword) {
    case "required":
      return `${field}: missing required field "${String(params.missingProperty)}"`;
    case "additionalProperties":
      return `${field}: unknown field "${String(params.additionalProperty)}"; remove it or check its spelling`;
    case "enum":
      return `${field}: expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}, got ${got}`;
    case "type":
      return `${field}: expected ${[params.type].flat().join(" or ")}${unitOf(error, schema)}, got ${got}`;
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum":
      return `${field}: expected a number ${String(params.comparison)} ${String(params.limit)}${unitOf(error, schema)}, got ${got}`;
    case "minLength":
      return `${field}: expected at least ${String(params.limit)} characters, got ${got}`;
    case "maxLength":
      return `${field}: expected at most ${String(params.limit)} characters, got ${got}`;
    case "minItems":
      return `${field}: expected at least ${String(params.limit)} items, got ${got}`;
    case "maxItems":
      return `${field}: expected at most ${String(params.limit)} items, got ${got}`;
    case "pattern": {
      const description = schemaAt(schema, error.schemaPath.replace(/\/pattern$/, ""))?.description;
      return typeof description === "string" ? `${field}: expected ${description}, got ${got}` : `${field}: expected text matching ${String(params.pattern)}, got ${got}`;
    }
    case "anyOf":
    case "oneOf": {
      const description = schemaAt(schema, error.schemaPath.replace(/\/(anyOf|oneOf)$/, ""))?.description;
      return typeof description === "string" ? `${field}: expected ${description}, got ${got}` : `${field}: ${got} matches none of the allowed forms`;
    }
    default:
      return `${field}: ${error.message ?? "is invalid"}, got ${got}`;
  }
}

/**
 * Applies defaults to a copy of `input` and checks it. `base` prefixes field names
 * (`plugins[0].config`) so a message points at the right place in the file.
 */
export function validate<T>(schema: JsonSchema, input: unknown, base = ""): Validated<T> {
  let check = compiled.get(schema);
  if (!check) {
    check = configAjv.compile(schema);
    compiled.set(schema, check);
  }

  // ajv writes defaults and conversions into the value, so it works on a copy.
  const value: unknown = input === undefined ? {} : structuredClone(input);
  if (check(value)) return { value: value as T, problems: [] };

  // A union reports one error per branch plus its own; keep only the union's.
  const errors = check.errors ?? [];
  const unionPaths = new Set(errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf").map((e) => e.instancePath));
  // A bad key of a map reports its own error and then `propertyNames`; keep the first.
  const problems = errors
    .filter((e) => e.keyword !== "propertyNames")
    .filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf" || !unionPaths.has(e.instancePath))
    .map((e) => describeError(e, value, base, schema));
  return { value: value as T, problems: [...new Set(problems)] };
}
