/**
 * Route match expressions: space-separated terms that must all hold; empty matches
 * everything. A term is `key=glob`, optionally negated with a leading `!`:
 *
 *   key=glob   `*` matches a run of characters other than `/`; everything else is literal
 *   key=*      the field is present and non-empty
 *   key=       the field is absent or empty
 *
 * Keys: platform, account, chat, sender, verb, topic (`chat` and `sender` are whole JIDs).
 * Example: `platform=telegram chat=telegram:*\/-100* verb=mention`.
 */
import { ArizukoError, parseChatJid, type StoredMessage } from "@arizuko/sdk";

// TODO: `text~regex` terms (with a backtracking check) come with the full routing layer.
export const MATCH_KEYS = ["platform", "account", "chat", "sender", "verb", "topic"] as const;
export type MatchKey = (typeof MATCH_KEYS)[number];

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

/** Parses a match expression; throws MatchError naming the first bad term and the fix. */
export function parseMatch(expression: string): Term[] {
  const terms: Term[] = [];
  for (const source of expression.trim().split(/\s+/).filter((part) => part.length > 0)) {
    const negated = source.startsWith("!");
    const body = negated ? source.slice(1) : source;
    const equals = body.indexOf("=");
    if (equals < 0) throw new MatchError(source, "expected key=glob, e.g. platform=web");
    const key = body.slice(0, equals);
    if (!(MATCH_KEYS as readonly string[]).includes(key)) {
      throw new MatchError(source, `unknown key ${JSON.stringify(key)}; keys are ${MATCH_KEYS.join(", ")}`);
    }
    terms.push({ key: key as MatchKey, negated, test: globTest(body.slice(equals + 1)), source });
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
  };
}

export function matches(terms: Term[], fields: Record<MatchKey, string>): boolean {
  return terms.every((term) => term.test(fields[term.key]) !== term.negated);
}
