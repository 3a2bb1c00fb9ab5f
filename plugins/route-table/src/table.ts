/**
 * The route table over `route_table_routes`. Rows are checked in (seq, id) order and
 * the first whose match holds and whose expanded target group exists wins.
 */
import type { Database } from "better-sqlite3";
import { ArizukoError, folderProblem, inSubtree, parseSenderJid, type GroupsApi, type RouteRow, type RoutesService, type StoredMessage } from "@arizuko/sdk";
import { fieldsOf, matches, parseMatch, type Term } from "./match.js";

/** Rows added without `--seq` go after the last row, this far apart, leaving room between. */
export const SEQ_STEP = 100;
const SENDER_PLACEHOLDER = "{sender}";

interface Compiled extends RouteRow {
  terms: Term[];
}

/**
 * A stable folder-safe id for a sender JID: `telegram:111` → `telegram-111`.
 * TODO: distinct senders can share a slug (`a.b` and `a-b`, or ids cut at 64 characters);
 * a short hash of the JID would keep them apart.
 */
export function senderSlug(sender: string): string {
  const slug = sender.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^[^a-z0-9]+/, "").slice(0, 64);
  return slug.length > 0 ? slug : "sender";
}

/**
 * Returns the row's target for `message`, or null when it names `{sender}` and the
 * message has no person as sender (a group speaking for itself, e.g. a scheduled task).
 */
export function expandTarget(target: string, message: StoredMessage): string | null {
  if (!target.includes(SENDER_PLACEHOLDER)) return target;
  if (!isPerson(message.sender)) return null;
  return target.replaceAll(SENDER_PLACEHOLDER, senderSlug(message.sender));
}

function isPerson(sender: string): boolean {
  try {
    return parseSenderJid(sender).kind === "sender";
  } catch {
    return false;
  }
}

function checkRow(match: string, target: string, mode: string): void {
  parseMatch(match);
  const problem = folderProblem(target.replaceAll(SENDER_PLACEHOLDER, "x"));
  if (problem) throw new ArizukoError("ARZ_ERR_ROUTE_TARGET", `invalid route target ${JSON.stringify(target)}: ${problem}`, { statusCode: 400 });
  if (mode !== "run" && mode !== "observe") {
    throw new ArizukoError("ARZ_ERR_ROUTE_MODE", `invalid route mode ${JSON.stringify(mode)}; use run or observe`, { statusCode: 400 });
  }
}

export class RouteTable implements RoutesService {
  private readonly statements;
  private compiled: Compiled[] | null = null;

  constructor(private readonly db: Database, private readonly groups: GroupsApi) {
    this.statements = {
      list: db.prepare("SELECT id, seq, match, target, mode FROM route_table_routes ORDER BY seq, id"),
      insert: db.prepare("INSERT INTO route_table_routes (seq, match, target, mode, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
      maxSeq: db.prepare("SELECT max(seq) AS seq FROM route_table_routes"),
      remove: db.prepare("DELETE FROM route_table_routes WHERE id = ?"),
      move: db.prepare("UPDATE route_table_routes SET seq = ? WHERE id = ? RETURNING id, seq, match, target, mode"),
    };
  }

  list(): RouteRow[] {
    return this.statements.list.all() as RouteRow[];
  }

  add(row: { match: string; target: string; seq?: number; mode?: "run" | "observe" }): RouteRow {
    const mode = row.mode ?? "run";
    const match = row.match.trim().split(/\s+/).filter(Boolean).join(" ");
    checkRow(match, row.target, mode);
    // A fixed target must exist now; a {sender} target names groups that may come later.
    if (!row.target.includes(SENDER_PLACEHOLDER) && !this.groups.exists(row.target)) {
      throw new ArizukoError(
        "ARZ_ERR_ROUTE_TARGET",
        `group ${row.target} does not exist; create it with \`arizuko group add ${row.target}\` first`,
        { statusCode: 400 },
      );
    }
    const seq = row.seq ?? ((this.statements.maxSeq.get() as { seq: number | null }).seq ?? 0) + SEQ_STEP;
    if (!Number.isInteger(seq)) throw new ArizukoError("ARZ_ERR_ROUTE_SEQ", `route seq must be an integer, got ${seq}`, { statusCode: 400 });
    const { id } = this.statements.insert.get(seq, match, row.target, mode, Date.now()) as { id: number };
    this.compiled = null;
    return { id, seq, match, target: row.target, mode };
  }

  addOwned(owner: string, rows: Array<{ match: string; target: string; mode?: "run" | "observe" }>): RouteRow[] {
    const seqs = this.ownedSlots(owner, rows.length);
    return this.db.transaction(() => rows.map((row, index) => this.add({ ...row, seq: seqs[index]! })))();
  }

  /** The lowest seq a row of `owner` may take: above every row that targets outside its subtree. */
  floor(owner: string): number {
    return Math.max(0, ...this.list().filter((row) => !inSubtree(owner, row.target)).map((row) => row.seq));
  }

  /** Seqs for `count` new rows of `owner`: spread between its floor and its own first row, else after the last row. */
  private ownedSlots(owner: string, count: number): number[] {
    const rows = this.list();
    const floor = this.floor(owner);
    const own = rows.filter((row) => row.target === owner && row.seq > floor).map((row) => row.seq);
    const last = Math.max(0, ...rows.map((row) => row.seq));
    // NOTE: with no gap left below the owner's first row, new rows share its seq and follow it (ties go by id).
    const ceiling = own.length > 0 ? Math.min(...own) : last + SEQ_STEP * (count + 1);
    const step = (ceiling - floor) / (count + 1);
    return Array.from({ length: count }, (_, index) => Math.max(floor + 1, Math.floor(floor + step * (index + 1))));
  }

  remove(id: number): boolean {
    const removed = this.statements.remove.run(id).changes > 0;
    this.compiled = null;
    return removed;
  }

  move(id: number, seq: number): RouteRow | null {
    if (!Number.isInteger(seq)) throw new ArizukoError("ARZ_ERR_ROUTE_SEQ", `route seq must be an integer, got ${seq}`, { statusCode: 400 });
    const row = this.statements.move.get(seq, id) as RouteRow | undefined;
    this.compiled = null;
    return row ?? null;
  }

  match(message: StoredMessage): RouteRow | null {
    const fields = fieldsOf(message);
    for (const row of this.rows()) {
      if (!matches(row.terms, fields)) continue;
      const target = expandTarget(row.target, message);
      if (target === null || !this.groups.exists(target)) continue;
      return { id: row.id, seq: row.seq, match: row.match, target, mode: row.mode };
    }
    return null;
  }

  /** Compiled rows, cached until the table changes through this service. */
  private rows(): Compiled[] {
    this.compiled ??= this.list().flatMap((row) => {
      try {
        return [{ ...row, terms: parseMatch(row.match) }];
      } catch {
        return []; // a row edited by hand into an invalid match never matches
      }
    });
    return this.compiled;
  }
}
