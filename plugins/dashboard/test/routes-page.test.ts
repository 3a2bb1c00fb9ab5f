/**
 * The Routes page over HTTP: add, edit, move and delete rows of the route table as an
 * operator, errors beside their form, the explain box, and the audit log of each change.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { person, type Person } from "../../web/test/helpers/people.js";

let instance: TestInstance;
let olga: Person;

beforeEach(async () => {
  instance = await startInstance({ config: { plugins: ["web", "route-table", "route-prefix", "dashboard"] } });
  instance.kernel.groups.add("support", "Support");
  olga = await person(instance, "olga", { operator: true });
});

afterEach(() => instance.dispose());

type Row = { id: number; seq: number; match: string; target: string; mode: string };
const table = () => instance.kernel.store.db.prepare("SELECT id, seq, match, target, mode FROM route_table_routes ORDER BY seq, id").all() as Row[];
const audit = () => instance.kernel.instance.audit.list(20).map((entry) => `${entry.action} ${entry.target}`);

describe("routes page", () => {
  it("lists the table and the explain box", async () => {
    const page = await olga.get("/dash/routes");

    expect(page.status).toBe(200);
    expect(page.body).toContain('value="platform=web"');
    expect(page.body).toContain("Test a route");
  });

  it("adds, edits, moves and deletes rows, and records each change", async () => {
    const added = await olga.post("/dash/routes", { match: "platform=telegram verb=mention", target: "support", mode: "run", seq: "50" });
    expect(added.status).toBe(200);
    expect(added.body).toContain("added: platform=telegram verb=mention → support");
    expect(table().map((row) => [row.seq, row.match, row.target])).toEqual([
      [50, "platform=telegram verb=mention", "support"],
      [100, "platform=web", "main"],
    ]);
    const [mention, web] = table();

    const edited = await olga.post(`/dash/routes/${mention!.id}/edit`, { match: "platform=telegram", target: "support", mode: "observe" });
    expect(edited.body).toContain(`route ${mention!.id} replaced`);
    const replaced = table()[0]!;
    expect([replaced.seq, replaced.match, replaced.mode]).toEqual([50, "platform=telegram", "observe"]);

    const moved = await olga.post(`/dash/routes/${web!.id}/up`, {});
    expect(table().map((row) => row.match)).toEqual(["platform=web", "platform=telegram"]);
    expect(moved.body).toContain(`route ${web!.id} seq 100 → 50, route ${replaced.id} seq 50 → 100`);
    expect(instance.kernel.instance.audit.list(1)[0]!.detail).toBe(`route ${web!.id} seq 100 → 50, route ${replaced.id} seq 50 → 100`);

    const deleted = await olga.post(`/dash/routes/${replaced.id}/delete`, {});
    expect(deleted.body).toContain(`route ${replaced.id} deleted`);
    expect(table().map((row) => row.match)).toEqual(["platform=web"]);

    expect(audit()).toEqual([`route.delete route ${replaced.id}`, `route.move-up route ${web!.id}`, `route.edit route ${mention!.id}`, `route.add route ${mention!.id}`]);
  });

  it("shows a rejected change beside its form and keeps what was typed", async () => {
    const before = table();

    const badGroup = await olga.post("/dash/routes", { match: "platform=telegram", target: "nowhere", mode: "run", seq: "" });
    expect(badGroup.status).toBe(200);
    expect(badGroup.body).toMatch(/<form id="add-route"[\s\S]*group nowhere does not exist; create it with `arizuko group add nowhere` first/);
    expect(badGroup.body).toContain('id="add-target" name="target" value="nowhere"');

    const badMatch = await olga.post(`/dash/routes/${before[0]!.id}/edit`, { match: "colour=red", target: "main", mode: "run" });
    expect(badMatch.body).toContain("invalid route term &quot;colour=red&quot;");
    const badSeq = await olga.post("/dash/routes", { match: "", target: "main", seq: "soon" });
    expect(badSeq.body).toContain("invalid seq &quot;soon&quot;");

    const missingRoute = await olga.post("/dash/routes/999/delete", {});
    expect(missingRoute.body).toMatch(/<section id="routes"[\s\S]*<p class="error" role="alert">route 999 no longer exists; the table below is current<\/p>/);

    expect(table()).toEqual(before);
    expect(audit()).toEqual([]);
  });

  it("explains a sample message stage by stage", async () => {
    instance.kernel.groups.add("main/research", "Research");
    const response = await olga.post("/dash/routes/explain", { chat: "web:local/c1", sender: "web:v_test", text: "@research find sources" });

    expect(response.body).toContain("stage 100 route-table: decides main (route #1 (platform=web) → main)");
    expect(response.body).toContain("main/research");

    // The box shows what `arizuko route explain` prints, line for line.
    const cli = await instance.kernel.runCli(["route", "explain", "--chat", "web:local/c1", "--sender", "web:v_test", "--text", "@research find sources"]);
    const lines = cli.stdout.trim().split("\n");
    for (const line of lines.filter((text) => text.startsWith("stage "))) expect(response.body).toContain(`<li>${line}</li>`);
    const result = lines.find((text) => text.startsWith("result: "))!.slice("result: ".length);
    expect(response.body).toContain(`<dt>Result</dt><dd>${result}</dd>`);
    const bad = await olga.post("/dash/routes/explain", { chat: "not a jid", sender: "web:v_test", text: "hi" });
    expect(bad.body).toMatch(/class="error" role="alert">[^<]*not a jid/);
  });

  it("needs an operator and the CSRF token for every write", async () => {
    const ada = await person(instance, "ada");
    const id = table()[0]!.id;
    const route = { match: "", target: "main" };
    const writes = [
      { path: "/dash/routes", body: route },
      { path: `/dash/routes/${id}/edit`, body: route },
      { path: `/dash/routes/${id}/up`, body: {} },
      { path: `/dash/routes/${id}/down`, body: {} },
      { path: `/dash/routes/${id}/delete`, body: {} },
      { path: "/dash/routes/explain", body: { chat: "web:local/c1", sender: "web:v_x", text: "hi" } },
    ];

    for (const { path, body } of writes) {
      expect((await ada.post(path, body)).status, path).toBe(403);
      expect((await olga.post(path, body, { "x-csrf-token": "" })).status, path).toBe(403);
      expect((await instance.client().post(path, body)).status, path).toBe(401);
    }
    expect((await ada.get("/dash/routes")).status).toBe(403);
    expect(table()).toHaveLength(1);
  });
});
