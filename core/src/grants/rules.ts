/**
 * Grant rules: `[!]action[(param=glob, …)]`, checked in order, the last match wins,
 * no match denies.
 *
 *   send                         allows send with any params (`send()` is the same)
 *   !send                        denies it
 *   send_*                       `*` in an action matches name characters [A-Za-z0-9_] only
 *   send(chat=telegram:*)        a param glob: `*` matches any run except `,` and `)`
 *   reply(!target)               `!param` requires the param to be absent
 *   set_grants(sender_role=operator)
 *
 * A params list constrains only the params it names. A rule that does not parse is
 * rejected with its position and the fix, so a typo can never widen access.
 */
import { ArizukoError } from "@arizuko/sdk";

export interface ParamTerm {
  name: string;
  /** Null when the term is `!name`: the param must be absent. */
  test: ((value: string) => boolean) | null;
}

export interface GrantRule {
  source: string;
  deny: boolean;
  action: RegExp;
  params: ParamTerm[];
}

export interface Verdict {
  allowed: boolean;
  /** The rule that decided, or null when none matched (denied). */
  rule: string | null;
  /** With layered grants: the index of the layer that decided. */
  layer?: number;
}

const NAME = /[A-Za-z0-9_]/;

export class GrantRuleError extends ArizukoError {
  constructor(rule: string, position: number, problem: string, fix: string) {
    super("ARZ_ERR_GRANT_RULE", `invalid grant rule ${JSON.stringify(rule)} at position ${position}: ${problem}; ${fix}`, { statusCode: 400 });
  }
}

function globToRegExp(glob: string, star: string): RegExp {
  const pattern = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
    .join(star);
  return new RegExp(`^${pattern}$`);
}

/** Parses one rule; throws GrantRuleError naming the position and the fix. */
export function parseRule(source: string): GrantRule {
  const rule = source.trim();
  let index = 0;
  const fail = (problem: string, fix: string): never => {
    throw new GrantRuleError(rule, index + 1, problem, fix);
  };

  const deny = rule.startsWith("!");
  if (deny) index += 1;

  const actionStart = index;
  while (index < rule.length && (NAME.test(rule[index]!) || rule[index] === "*")) index += 1;
  const action = rule.slice(actionStart, index);
  if (action.length === 0) fail("expected an action name", "write e.g. send or !send(chat=web:*)");

  const params: ParamTerm[] = [];
  if (index < rule.length) {
    if (rule[index] !== "(") fail(`unexpected ${JSON.stringify(rule[index])} after the action`, "action names use letters, digits, _ and *; params go in parentheses");
    index += 1;
    const close = rule.indexOf(")", index);
    if (close < 0) {
      index = rule.length;
      fail('missing ")"', "close the parameter list, e.g. send(chat=web:*)");
    }
    if (close !== rule.length - 1) {
      index = close + 1;
      fail("text after the closing parenthesis", "one rule per line");
    }
    const body = rule.slice(index, close);
    let offset = index;
    const seen = new Set<string>();
    for (const raw of body.trim() === "" ? [] : body.split(",")) {
      index = offset + (raw.length - raw.trimStart().length);
      params.push(parseTerm(raw.trim(), seen, fail));
      offset += raw.length + 1;
    }
  }
  return { source: rule, deny, action: globToRegExp(action, "[A-Za-z0-9_]*"), params };
}

function parseTerm(term: string, seen: Set<string>, fail: (problem: string, fix: string) => never): ParamTerm {
  if (term === "") fail("an empty parameter", "remove the extra comma");
  const absent = term.startsWith("!");
  const body = absent ? term.slice(1) : term;
  const equals = body.indexOf("=");
  const name = (absent ? body : body.slice(0, equals)).trim();

  if (!absent && equals < 0) fail(`expected name=glob, got ${JSON.stringify(term)}`, `write ${term}=* to require the param, or !${term} to require it absent`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(`invalid parameter name ${JSON.stringify(name)}`, "names use letters, digits and _");
  if (seen.has(name)) fail(`parameter ${name} named twice`, "name each parameter once");
  seen.add(name);
  if (absent) return { name, test: null };

  const glob = body.slice(equals + 1).trim();
  if (glob.includes("(")) fail(`"(" in the value of ${name}`, "values cannot contain ( , or )");
  const regex = globToRegExp(glob, "[^,)]*");
  return { name, test: (value) => regex.test(value) };
}

/** Parses a list of rules; the first bad one throws, naming its line. */
export function parseRules(sources: string[]): GrantRule[] {
  return sources.map((source, line) => {
    try {
      return parseRule(source);
    } catch (error) {
      if (error instanceof GrantRuleError) {
        throw new ArizukoError("ARZ_ERR_GRANT_RULE", `rule ${line + 1}: ${error.message}`, { statusCode: 400 });
      }
      throw error;
    }
  });
}

function matches(rule: GrantRule, action: string, params: Record<string, string | undefined>): boolean {
  if (!rule.action.test(action)) return false;
  return rule.params.every((term) => {
    const value = params[term.name];
    if (term.test === null) return value === undefined;
    return value !== undefined && term.test(value);
  });
}

/** Checks `action` with `params` against `rules`: the last matching rule decides; none denies. */
export function check(rules: GrantRule[], action: string, params: Record<string, string | undefined> = {}): Verdict {
  for (let index = rules.length - 1; index >= 0; index -= 1) {
    const rule = rules[index]!;
    if (matches(rule, action, params)) return { allowed: !rule.deny, rule: rule.source };
  }
  return { allowed: false, rule: null };
}

/**
 * Grants in layers: a delegated child's rules under its parent's. An action is allowed
 * only when every layer allows it, so a child can narrow what its parent may do, never
 * widen it.
 */
export interface Grants {
  layers: GrantRule[][];
  /** Labels of the layers, for messages ("team/dev", "the limits set on team"); optional. */
  labels?: string[];
}

export function grants(rules: GrantRule[]): Grants {
  return { layers: [rules] };
}

/** Returns the child's grants under `parent`, which never allow more than the parent does. */
export function narrow(parent: Grants, child: GrantRule[]): Grants {
  return { layers: [...parent.layers, child] };
}

/** Says which layer a verdict of `set` came from, for messages; null for an unlabelled set. */
export function layerLabel(set: Grants, verdict: Verdict): string | null {
  return verdict.layer === undefined ? null : (set.labels?.[verdict.layer] ?? null);
}

/** Checks every layer; the first that denies decides, else the last layer's rule. */
export function checkGrants(set: Grants, action: string, params: Record<string, string | undefined> = {}): Verdict {
  let verdict: Verdict = { allowed: false, rule: null };
  for (const [index, layer] of set.layers.entries()) {
    verdict = { ...check(layer, action, params), layer: index };
    if (!verdict.allowed) return verdict;
  }
  return verdict;
}

/**
 * Tells whether some call of `action` could be allowed, knowing only `known` params (the
 * sender's role): a rule conditional on other params may allow some calls, so it
 * counts. Tool lists use this; every call is still checked in full.
 */
export function mayAllow(rules: GrantRule[], action: string, known: Record<string, string>): boolean {
  for (let index = rules.length - 1; index >= 0; index -= 1) {
    const rule = rules[index]!;
    if (!rule.action.test(action)) continue;

    const knownTerms = rule.params.filter((term) => term.name in known);
    const satisfied = knownTerms.every((term) => term.test !== null && term.test(known[term.name]!));
    if (!satisfied) continue;

    const conditional = knownTerms.length < rule.params.length;
    if (!rule.deny) return true;
    // A deny that depends on other params leaves calls with different params open.
    if (!conditional) return false;
  }
  return false;
}

/** `mayAllow` over every layer. */
export function mayAllowGrants(set: Grants, action: string, known: Record<string, string>): boolean {
  return set.layers.every((layer) => mayAllow(layer, action, known));
}
