/**
 * Route match expressions: space-separated terms that must all hold; empty matches
 * everything. A term is one of these, optionally negated with a leading `!`:
 *
 *   key=glob     `*` matches a run of characters other than `/`; everything else is literal
 *   key=*        the field is present and non-empty
 *   key=         the field is absent or empty
 *   text~regex   the message text matches the regular expression, ignoring case
 *                (at most 200 characters, no spaces: write `\s`)
 *
 * Keys: platform, account, chat, sender, verb, topic (`chat` and `sender` are whole JIDs).
 * Example: `platform=telegram chat=telegram:*\/-100* verb=mention`.
 */
import { createRequire } from "node:module";
import { ArizukoError, parseChatJid, type StoredMessage } from "@arizuko/sdk";

// safe-regex2 (fastify's) is CommonJS; it flags patterns that can backtrack for ever (`(a+)+`).
const isSafeRegex = createRequire(import.meta.url)("safe-regex2") as (pattern: string | RegExp) => boolean;

export const MATCH_KEYS = ["platform", "account", "chat", "sender", "verb", "topic", "text"] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

/** Longest `text~` pattern accepted, in characters. */
export const MAX_REGEX_LENGTH = 200;

export interface Term {
  key: MatchKey;
  negated: boolean;
  test(value: string): boolean;
  source: string;
}

export class MatchError extends ArizukoError {
  constructor(term: string, problem: string) {
    super("ARZ_ERR_ROUTE_MATCH", `invalid route term ${JSON.stringify(term)}: ${problem}`, { statusCode: 400 });
  }
}

function globTest(glob: string): (value: string) => boolean {
  if (glob === "*") return (value) => value.length > 0;
  if (glob === "") return (value) => value.length === 0;
  const pattern = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*");
  const regex = new RegExp(`^${pattern}$`);
  return (value) => regex.test(value);
}

function regexTest(term: string, source: string): (value: string) => boolean {
  if (source.length === 0) throw new MatchError(term, "the pattern after text~ is empty");
  if (source.length > MAX_REGEX_LENGTH) throw new MatchError(term, `the pattern is longer than ${MAX_REGEX_LENGTH} characters`);
  let regex: RegExp;
  try {
    regex = new RegExp(source, "i");
  } catch (error) {
    throw new MatchError(term, `not a valid regular expression (${(error as Error).message})`);
  }
  if (!isSafeRegex(regex)) {
    throw new MatchError(term, "the pattern can take exponential time on some texts (nested repetition like (a+)+); simplify it");
  }
  return (value) => regex.test(value);
}

/** Parses a match expression; throws MatchError naming the first bad term and the fix. */
export function parseMatch(expression: string): Term[] {
  const terms: Term[] = [];
  for (const source of expression.trim().split(/\s+/).filter((part) => part.length > 0)) {
    const negated = source.startsWith("!");
    const body = negated ? source.slice(1) : source;

    if (body.startsWith("text~")) {
      terms.push({ key: "text", negated, test: regexTest(source, body.slice("text~".length)), source });
      continue;
    }
    const equals = body.indexOf("=");
    if (equals < 0) throw new MatchError(source, "expected key=glob (e.g. platform=web) or text~regex");
    const key = body.slice(0, equals);
    if (key === "text" || !(MATCH_KEYS as readonly string[]).includes(key)) {
      const hint = key === "text" ? "match text with text~regex" : `keys are ${MATCH_KEYS.filter((name) => name !== "text").join(", ")}, and text~regex`;
      throw new MatchError(source, `unknown key ${JSON.stringify(key)}; ${hint}`);
    }
    const glob = body.slice(equals + 1);
    if (key === "chat" && glob !== "" && glob !== "*" && !glob.includes("/")) {
      throw new MatchError(source, "a chat JID always contains `/` (<platform>:<account>/<chat>) and `*` stops at `/`, so this never matches; write e.g. chat=telegram:*/*");
    }
    terms.push({ key: key as MatchKey, negated, test: globTest(glob), source });
  }
  return terms;
}

export function fieldsOf(message: StoredMessage): Record<MatchKey, string> {
  const chat = parseChatJid(message.chat);
  return {
    platform: chat.platform,
    account: chat.account,
    chat: message.chat,
    sender: message.sender,
    verb: message.verb ?? "",
    topic: message.topic,
    text: message.text,
  };
}

export function matches(terms: Term[], fields: Record<MatchKey, string>): boolean {
  return terms.every((term) => term.test(fields[term.key]) !== term.negated);
}
