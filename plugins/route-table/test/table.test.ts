import type { GroupInfo, GroupsApi, StoredMessage } from "@arizuko/sdk";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../../../core/src/store/db.js";
import { migrate } from "../../../core/src/store/migrate.js";
import { expandTarget, RouteTable, SEQ_STEP, senderSlug } from "../src/table.js";

const MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));

/** A GroupsApi that lists a fixed set of folders and can grow during a test. */
class FakeGroups implements GroupsApi {
  readonly folders: Set<string>;

  constructor(folders: string[]) {
    this.folders = new Set(folders);
  }

  exists(folder: string): boolean {
    return this.folders.has(folder);
  }

  get(folder: string): GroupInfo | null {
    return this.exists(folder) ? { folder, name: folder, path: `/groups/${folder}`, paused: false } : null;
  }

  list(): GroupInfo[] {
    return [...this.folders].map((folder) => this.get(folder)!);
  }
}

function message(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    seq: 1,
    id: "m1",
    chat: "web:local/c1",
    platformId: "p1",
    kind: "message",
    direction: "in",
    verb: "message",
    sender: "web:v_visitor1",
    senderName: null,
    text: "hello",
    topic: "",
    replyTo: null,
    target: null,
    attachments: [],
    state: "pending",
    group: null,
    runId: null,
    routeLayer: null,
    routeReason: null,
    ts: 0,
    storedAt: 0,
    ...overrides,
  };
}

const telegramMention = (overrides: Partial<StoredMessage> = {}) =>
  message({ chat: "telegram:600000001/-1001000000001", sender: "telegram:111", verb: "mention", ...overrides });

/** Runs `action` and returns the error it throws. Fails the test when `action` returns normally. */
function thrownBy(action: () => unknown): { code: string; message: string } {
  try {
    action();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error("expected the call to throw, but it returned");
}

let dir: string;
let db: Db;
let groups: FakeGroups;
let table: RouteTable;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "arizuko-route-table-"));
  db = openDatabase(join(dir, "arizuko.db"));
  await migrate(db, { owner: "route-table", prefix: "route_table_", dir: MIGRATIONS }, pino({ level: "silent" }));
  groups = new FakeGroups(["main", "support", "sales", "users", "users/telegram-111"]);
  table = new RouteTable(db, groups);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("route table migration", () => {
  it("seeds the web route to main", () => {
    expect(table.list()).toEqual([{ id: 1, seq: 100, match: "platform=web", target: "main", mode: "run" }]);
  });

  it("records itself under the plugin name", () => {
    const rows = db.prepare("SELECT owner, name FROM arizuko_migrations").all();
    expect(rows).toEqual([{ owner: "route-table", name: "0001_routes.sql" }]);
  });

  it("routes a web message to main", () => {
    expect(table.match(message())).toMatchObject({ id: 1, target: "main", mode: "run" });
  });

  it("leaves a telegram message unrouted", () => {
    expect(table.match(telegramMention())).toBeNull();
  });
});

describe("RouteTable.match", () => {
  it("picks the lowest seq first", () => {
    const early = table.add({ match: "chat=web:local/c*", target: "support", seq: 50 });

    expect(table.match(message())).toMatchObject({ id: early.id, target: "support" });
  });

  it("breaks a seq tie by id", () => {
    const first = table.add({ match: "platform=telegram", target: "support", seq: 10 });
    table.add({ match: "platform=telegram", target: "sales", seq: 10 });

    expect(table.match(telegramMention())).toMatchObject({ id: first.id, target: "support" });
  });

  it("skips rows that do not match", () => {
    table.add({ match: "platform=telegram verb=message", target: "support", seq: 10 });
    const mention = table.add({ match: "platform=telegram verb=mention", target: "sales", seq: 20 });

    expect(table.match(telegramMention())).toMatchObject({ id: mention.id, target: "sales" });
  });

  it("skips a row whose group is gone", () => {
    groups.folders.add("ghost");
    table.add({ match: "platform=web", target: "ghost", seq: 10 });
    groups.folders.delete("ghost");

    expect(table.match(message())).toMatchObject({ id: 1, target: "main" });
  });

  it("returns null when only gone groups match", () => {
    groups.folders.add("ghost");
    table.add({ match: "platform=telegram", target: "ghost" });
    groups.folders.delete("ghost");

    expect(table.match(telegramMention())).toBeNull();
  });

  it("expands {sender} to an existing group", () => {
    const row = table.add({ match: "platform=telegram", target: "users/{sender}" });

    expect(table.match(telegramMention())).toEqual({ id: row.id, seq: row.seq, match: "platform=telegram", target: "users/telegram-111", mode: "run" });
  });

  it("skips {sender} when that group is missing", () => {
    table.add({ match: "platform=telegram", target: "users/{sender}", seq: 10 });
    const fallback = table.add({ match: "platform=telegram", target: "support", seq: 20 });

    expect(table.match(telegramMention({ sender: "telegram:222" }))).toMatchObject({ id: fallback.id, target: "support" });
  });

  it("returns observe mode", () => {
    const row = table.add({ match: "platform=telegram verb=message", target: "sales", mode: "observe" });

    expect(table.match(telegramMention({ verb: "message" }))).toMatchObject({ id: row.id, mode: "observe" });
  });

  it("matches everything with an empty match", () => {
    const row = table.add({ match: "", target: "support" });

    expect(table.match(telegramMention())).toMatchObject({ id: row.id, match: "", target: "support" });
  });
});

describe("senderSlug", () => {
  it.each([
    ["telegram:111", "telegram-111"],
    ["web:V_Ab-12", "web-v_ab-12"],
    ["local:acme/support", "local-acme-support"],
    ["whatsapp:15550000001@s.whatsapp.net", "whatsapp-15550000001-s-whatsapp-net"],
    [":::", "sender"],
  ])("slug of %s is %s", (sender, slug) => {
    expect(senderSlug(sender)).toBe(slug);
  });

  it("caps the slug at 64 characters", () => {
    expect(senderSlug("telegram:" + "9".repeat(100))).toHaveLength(64);
  });

  it.each(["telegram:111", "web:V_Ab-12", "discord:__x", "email:Ann.Lee+tag@example.org", "telegram:" + "9".repeat(100)])(
    "slug of %s is one folder segment",
    (sender) => {
      expect(senderSlug(sender)).toMatch(/^[a-z0-9][a-z0-9_-]{0,63}$/);
    },
  );

  it("expands every {sender} placeholder", () => {
    expect(expandTarget("{sender}/{sender}", telegramMention())).toBe("telegram-111/telegram-111");
  });
});

describe("RouteTable.add", () => {
  it("appends after the last row", () => {
    const row = table.add({ match: "platform=telegram", target: "support" });

    expect(row.seq).toBe(100 + SEQ_STEP);
    expect(table.list().map((listed) => listed.id)).toEqual([1, row.id]);
  });

  it("appends after the highest seq", () => {
    table.add({ match: "platform=telegram", target: "support", seq: 5000 });
    table.add({ match: "platform=discord", target: "support", seq: 20 });

    expect(table.add({ match: "", target: "main" }).seq).toBe(5000 + SEQ_STEP);
  });

  it("starts at one step when empty", () => {
    table.remove(1);

    expect(table.add({ match: "", target: "main" }).seq).toBe(SEQ_STEP);
  });

  it("stores the given seq and mode", () => {
    const row = table.add({ match: "platform=telegram", target: "sales", seq: 7, mode: "observe" });

    expect(table.list()).toContainEqual({ id: row.id, seq: 7, match: "platform=telegram", target: "sales", mode: "observe" });
  });

  it("normalises whitespace in the match", () => {
    const row = table.add({ match: "  platform=telegram \t verb=mention ", target: "sales" });

    expect(row.match).toBe("platform=telegram verb=mention");
  });

  it("rejects a target of a missing group", () => {
    const before = table.list().length;

    expect(() => table.add({ match: "platform=telegram", target: "later" })).toThrow(
      expect.objectContaining({ code: "ARZ_ERR_ROUTE_TARGET", message: "group later does not exist; create it with `arizuko group add later` first" }),
    );
    expect(table.list()).toHaveLength(before);
  });

  it("accepts a {sender} target of groups to come", () => {
    const row = table.add({ match: "platform=telegram", target: "guests/{sender}" });

    expect(table.list()).toContainEqual(expect.objectContaining({ id: row.id, target: "guests/{sender}" }));
  });

  // [case, row, expected code, words the message must contain]
  const INVALID: Array<[string, Parameters<RouteTable["add"]>[0], string, string]> = [
    ["unknown key", { match: "room=1", target: "main" }, "ARZ_ERR_ROUTE_MATCH", 'invalid route term "room=1"'],
    ["term without =", { match: "platform=web verb", target: "main" }, "ARZ_ERR_ROUTE_MATCH", 'invalid route term "verb"'],
    ["uppercase target", { match: "", target: "Support" }, "ARZ_ERR_ROUTE_TARGET", 'invalid route target "Support"'],
    ["empty target", { match: "", target: "" }, "ARZ_ERR_ROUTE_TARGET", 'invalid route target ""'],
    ["target five levels deep", { match: "", target: "a/b/c/d/e" }, "ARZ_ERR_ROUTE_TARGET", "5 levels"],
    ["target with a bad placeholder", { match: "", target: "users/{user}" }, "ARZ_ERR_ROUTE_TARGET", 'invalid route target "users/{user}"'],
    ["unknown mode", { match: "", target: "main", mode: "ignore" as "run" }, "ARZ_ERR_ROUTE_MODE", 'invalid route mode "ignore"'],
    ["fractional seq", { match: "", target: "main", seq: 1.5 }, "ARZ_ERR_ROUTE_SEQ", "got 1.5"],
  ];

  it.each(INVALID)("rejects %s with its code", (_case, row, code) => {
    expect(thrownBy(() => table.add(row)).code).toBe(code);
  });

  it.each(INVALID)("explains the rejected %s", (_case, row, _code, words) => {
    expect(thrownBy(() => table.add(row)).message).toContain(words);
  });

  it.each(INVALID)("stores nothing for %s", (_case, row) => {
    thrownBy(() => table.add(row));

    const count = db.prepare("SELECT count(*) AS n FROM route_table_routes").get() as { n: number };
    expect(count.n).toBe(1);
  });
});

describe("RouteTable.remove", () => {
  it("removes a row by id", () => {
    const row = table.add({ match: "platform=telegram", target: "support" });

    expect(table.remove(row.id)).toBe(true);
    expect(table.list().map((listed) => listed.id)).toEqual([1]);
  });

  it("returns false for an unknown id", () => {
    expect(table.remove(999)).toBe(false);
    expect(table.list()).toHaveLength(1);
  });
});

describe("RouteTable cache", () => {
  it("sees a row added after a match", () => {
    expect(table.match(telegramMention())).toBeNull();

    const row = table.add({ match: "platform=telegram", target: "support" });

    expect(table.match(telegramMention())).toMatchObject({ id: row.id });
  });

  it("forgets a row removed after a match", () => {
    expect(table.match(message())).toMatchObject({ id: 1 });

    table.remove(1);

    expect(table.match(message())).toBeNull();
  });

  it("checks group existence on every match", () => {
    groups.folders.add("later");
    table.add({ match: "platform=telegram", target: "later" });
    groups.folders.delete("later");
    expect(table.match(telegramMention())).toBeNull();

    groups.folders.add("later");

    expect(table.match(telegramMention())).toMatchObject({ target: "later" });
  });

  it("skips a row edited into an invalid match", () => {
    db.prepare("INSERT INTO route_table_routes (seq, match, target, mode, created_at) VALUES (1, 'room=1', 'support', 'run', 0)").run();
    const fresh = new RouteTable(db, groups);

    expect(fresh.match(message())).toMatchObject({ id: 1, target: "main" });
  });
});
