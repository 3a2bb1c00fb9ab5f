/**
 * The Runs page against a seeded day of the `runs` table: the totals, the list and the
 * filters show exactly what the table holds.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { person, type Person } from "../../web/test/helpers/people.js";

const DAY = Date.parse("2026-11-20T00:00:00Z");
const HOUR = 3_600_000;

let instance: TestInstance;
let olga: Person;

/** Seeds runs on 2026-11-20 (and one on the day before, which must not count). */
function seed(): void {
  const insert = instance.kernel.store.db.prepare(
    `INSERT INTO runs (id, group_folder, chat, topic, attempt, state, runner, harness, usage, error, started_at, ended_at)
     VALUES (@id, @group, @chat, '', 1, @state, 'process', @harness, @usage, @error, @start, @end)`,
  );
  const usage = (input: number, output: number, cost: number) => JSON.stringify({ type: "usage", run_id: "x", input_tokens: input, output_tokens: output, cost_usd: cost });
  const rows = [
    { id: "run_a", group: "main", chat: "web:local/c1", state: "done", harness: "demo", usage: usage(100, 20, 0.001), error: null, start: DAY + 1 * HOUR, end: DAY + 1 * HOUR + 2000 },
    { id: "run_b", group: "main", chat: "web:local/c1", state: "done", harness: "claude", usage: usage(300, 80, 0.0125), error: null, start: DAY + 9 * HOUR, end: DAY + 9 * HOUR + 6000 },
    { id: "run_c", group: "main", chat: "web:local/c2", state: "failed", harness: "claude", usage: null, error: "harness exited with code 1", start: DAY + 9 * HOUR + 60_000, end: DAY + 9 * HOUR + 61_000 },
    { id: "run_d", group: "sales", chat: "telegram:1/5", state: "timed_out", harness: "openai", usage: usage(50, 0, 0), error: "deadline", start: DAY + 23 * HOUR, end: DAY + 23 * HOUR + 300_000 },
    { id: "run_f", group: "ops", chat: "web:local/c3", state: "stopped", harness: "demo", usage: null, error: null, start: DAY + 5 * HOUR, end: DAY + 5 * HOUR + 500 },
    { id: "run_e", group: "main", chat: "web:local/c1", state: "done", harness: "demo", usage: usage(999, 999, 1), error: null, start: DAY - HOUR, end: DAY - HOUR + 1000 },
  ];
  for (const row of rows) insert.run(row);
}

beforeEach(async () => {
  instance = await startInstance({ config: { plugins: ["web", "route-table", "dashboard"] } });
  instance.kernel.groups.add("sales", "Sales");
  instance.kernel.groups.add("ops", "Ops");
  olga = await person(instance, "olga", { operator: true });
  seed();
});

afterEach(() => instance.dispose());

/** Returns the cells of the table with `id` in the page, row by row. */
function cells(page: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(page)?.[1] ?? "";
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)?.[1] ?? "";
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!.replace(/<[^>]+>/g, "").trim()));
}

describe("runs page", () => {
  it("shows the seeded day's totals as the runs table holds them", async () => {
    const page = await olga.get("/dash/runs?day=2026-11-20");
    expect(page.status).toBe(200);

    const expected = instance.kernel.store.db
      .prepare(
        `SELECT group_folder AS g, count(*) AS n, sum(state NOT IN ('done','running')) AS failed,
                sum(json_extract(usage,'$.input_tokens')) AS tin, sum(json_extract(usage,'$.output_tokens')) AS tout
         FROM runs WHERE started_at >= ? AND started_at < ? GROUP BY group_folder ORDER BY group_folder`,
      )
      .all(DAY, DAY + 24 * HOUR) as Array<{ g: string; n: number; failed: number; tin: number | null; tout: number | null }>;
    // A group none of whose runs reported usage shows "–", as a run without usage does.
    const tokens = (value: number | null) => (value === null ? "–" : value.toLocaleString("en-US"));
    const fromTable = expected.map((row) => ["2026-11-20", row.g, String(row.n), String(row.failed), tokens(row.tin), tokens(row.tout)]);
    const shown = cells(page.body, "totals").filter((row) => row[0] === "2026-11-20").map((row) => [row[0], row[1], row[2], row[3], row[5], row[6]]);
    expect(shown).toEqual(fromTable);
    expect(shown).toEqual([
      ["2026-11-20", "main", "3", "1", "400", "100"],
      ["2026-11-20", "ops", "1", "1", "–", "–"],
      ["2026-11-20", "sales", "1", "1", "50", "0"],
    ]);
    expect(cells(page.body, "totals").find((row) => row[1] === "main" && row[0] === "2026-11-20")![7]).toBe("$0.0135");
    expect(cells(page.body, "totals").find((row) => row[0] === "2026-11-19")).toEqual(["2026-11-19", "main", "1", "0", "1 s", "999", "999", "$1.0000"]);
  });

  it("lists each run of the day with how it ended", async () => {
    const page = await olga.get("/dash/runs?day=2026-11-20");
    const rows = cells(page.body, "run-list");

    expect(rows.map((row) => row[0])).toEqual(["2026-11-20 23:00:00", "2026-11-20 09:01:00", "2026-11-20 09:00:00", "2026-11-20 05:00:00", "2026-11-20 01:00:00"]);
    expect(rows[0]).toEqual(["2026-11-20 23:00:00", "sales", "telegram:1/5", "(main)", "process", "openai", "5 min", "50", "0", "$0.0000", "timed_out deadline"]);
    expect(rows[1]).toEqual(["2026-11-20 09:01:00", "main", "web:local/c2", "(main)", "process", "claude", "1 s", "–", "–", "–", "failed harness exited with code 1"]);
    expect(page.body).toContain('aria-label="Runs started per hour; largest 2 runs"');
  });

  it("filters by group and moves between days", async () => {
    const page = await olga.get("/dash/runs?day=2026-11-20&group=sales");

    expect(cells(page.body, "run-list").map((row) => row[1])).toEqual(["sales"]);
    expect(cells(page.body, "totals").map((row) => row[1])).toEqual(["sales"]);
    expect(page.body).toContain('href="/dash/runs?day=2026-11-19&amp;group=sales"');
    expect(page.body).toContain('href="/dash/runs?day=2026-11-21&amp;group=sales"');
    expect((await olga.get("/dash/runs?day=2026-11-20&group=nosuch")).body).toContain("There is no group nosuch");
  });

  it("says what a day must look like", async () => {
    const response = await olga.get("/dash/runs?day=20-11-2026");

    expect(response.status).toBe(400);
    expect(response.body).toContain('<p class="error" role="alert">invalid day &quot;20-11-2026&quot;; use YYYY-MM-DD, e.g. 2026-12-05</p>');
    expect((await olga.get("/dash/runs?day=2026-02-30")).status).toBe(400);
  });

  it("records the harness of a real run", async () => {
    const chat = (await olga.post("/web/chats", { group: "main" })).body.chat;
    await olga.say(chat, "hello");
    const { waitFor } = await import("../../../core/test/helpers/wait.js");
    const run = await waitFor(() => instance.kernel.store.db.prepare("SELECT harness, runner FROM runs WHERE chat = ? AND state = 'done'").get(`web:local/${chat}`));

    expect(run).toEqual({ harness: "demo", runner: "process" });
  });
});
