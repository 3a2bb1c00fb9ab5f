/**
 * The Groups page over HTTP: the folder tree, one group's routes, grants by origin,
 * sessions, memory files and children, and the writes (create, rename, grant overrides,
 * remove) checked in the database, on disk and in the audit log.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixtureAgent, startInstance, type TestInstance } from "../../../core/test/helpers/instance.js";
import { waitFor } from "../../../core/test/helpers/wait.js";
import { person, type Person } from "../../web/test/helpers/people.js";

let instance: TestInstance;
let olga: Person;

beforeEach(async () => {
  instance = await startInstance({ config: { runner: { command: fixtureAgent("scripted.mjs") }, plugins: ["web", "route-table", "dashboard"] } });
  olga = await person(instance, "olga", { operator: true });
});

afterEach(() => instance.dispose());

const db = () => instance.kernel.store.db;
const groupRows = () => db().prepare("SELECT folder, name FROM groups ORDER BY folder").all() as Array<{ folder: string; name: string }>;
const audit = () => instance.kernel.instance.audit.list(20).map((entry) => `${entry.action} ${entry.target}: ${entry.detail}`);

describe("groups tree", () => {
  it("nests groups under their parents", async () => {
    instance.kernel.groups.add("acme", "Acme");
    instance.kernel.groups.add("acme/support", "Acme support");

    const page = await olga.get("/dash/groups");
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<li><a href="\/dash\/groups\/acme">acme<\/a> <span class="muted">Acme<\/span> <span class="state state-ok">ok<\/span><ul class="tree"><li><a href="\/dash\/groups\/acme\/support">acme\/support<\/a>/);
    expect(page.body).toContain('<a href="/dash/groups/main">main</a>');
  });

  it("creates groups and says why one cannot be created", async () => {
    const created = await olga.post("/dash/groups", { folder: "acme", name: "Acme Ltd" });
    expect(created.status).toBe(200);
    expect(created.body).toContain(`group acme created at ${join(instance.dataDir, "groups", "acme")}`);
    expect(groupRows()).toContainEqual({ folder: "acme", name: "Acme Ltd" });
    expect(existsSync(join(instance.dataDir, "groups", "acme", "PERSONA.md"))).toBe(true);
    await olga.post("/dash/groups", { folder: "acme/support", name: "" });
    expect(groupRows()).toContainEqual({ folder: "acme/support", name: "acme/support" });

    const cases = [
      [{ folder: "Acme", name: "" }, "segment &quot;Acme&quot; of &quot;Acme&quot; must match"],
      [{ folder: "acme", name: "" }, "group acme already exists"],
      [{ folder: "nowhere/team", name: "" }, "group nowhere/team needs its parent group nowhere; add nowhere first"],
      [{ folder: "../etc", name: "" }, "segment &quot;..&quot;"],
      [{ folder: "a/b/c/d/e", name: "" }, "has 5 levels; at most 4 are allowed"],
      [{ folder: "team", name: "x".repeat(201) }, "invalid group name: it must be 1 to 200 characters after trimming spaces, got 201"],
      [{ folder: "team", name: "line1\nline2" }, "invalid group name: it must be one line, without tabs or other control characters"],
    ] as const;
    for (const [body, message] of cases) {
      const response = await olga.post("/dash/groups", body);
      expect(response.status, body.folder).toBe(200);
      expect(response.body, body.folder).toMatch(new RegExp(`<form id="create-group"[\\s\\S]*<p class="error" role="alert">[^<]*${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      expect(response.body, body.folder).toContain(`name="folder" value="${body.folder.replaceAll('"', "&quot;")}"`);
    }

    expect(groupRows().map((row) => row.folder)).toEqual(["acme", "acme/support", "main"]);
    expect(existsSync(join(instance.dataDir, "etc"))).toBe(false);
    expect(audit()).toEqual(['group.create group acme/support: named "acme/support"', 'group.create group acme: named "Acme Ltd"']);
  });

  it("prefills the folder of a child group", async () => {
    const page = await olga.get("/dash/groups?parent=main");
    expect(page.body).toContain('id="create-folder" name="folder" value="main/"');
  });
});

describe("one group", () => {
  it("shows the routes that reach it, with {sender} targets", async () => {
    instance.kernel.groups.add("users");
    await instance.kernel.runCli(["route", "add", "platform=telegram", "users/{sender}"]);
    instance.kernel.groups.add("users/telegram-111");

    const user = await olga.get("/dash/groups/users/telegram-111");
    expect(user.body).toContain("<td>users/{sender}</td>");
    const main = await olga.get("/dash/groups/main");
    expect(main.body).toContain("<code>platform=web</code>");
    expect(main.body).not.toContain("users/{sender}");
    expect((await olga.get("/dash/groups/users")).body).toContain("no route reaches this group");
  });

  it("lists grant rules in checking order with their origin", async () => {
    await instance.kernel.runCli(["grants", "set", "main", "!send(chat=web:*)", "react"]);
    const { derived } = instance.kernel.grants.rules("main");

    const page = await olga.get("/dash/groups/main");
    const rows = [...page.body.slice(page.body.indexOf('id="grant-rules"')).matchAll(/<tr><td>(\d+)<\/td><td><code>([^<]+)<\/code><\/td><td>(default|override)<\/td>/g)].map((match) => [Number(match[1]), match[2], match[3]]);
    expect(rows).toEqual([
      ...derived.map((rule, index) => [index + 1, rule.replaceAll(">", "&gt;"), "default"]),
      [derived.length + 1, "!send(chat=web:*)", "override"],
      [derived.length + 2, "react", "override"],
    ]);
    expect(page.body).toContain("!send(chat=web:*)\nreact</textarea>");
  });

  it("saves grant overrides, and names a bad rule", async () => {
    const saved = await olga.post("/dash/groups/grants", { folder: "main", rules: "react\n\n  !send(chat=telegram:*)  \n" });
    expect(saved.body).toContain("2 overrides saved");
    expect(instance.kernel.grants.rules("main").overrides).toEqual(["react", "!send(chat=telegram:*)"]);

    const bad = await olga.post("/dash/groups/grants", { folder: "main", rules: "react\nsend(chat" });
    expect(bad.status).toBe(200);
    expect(bad.body).toMatch(/<p class="error" role="alert">rule 2: [^<]+<\/p>/);
    expect(bad.body).toContain("react\nsend(chat</textarea>");
    expect(instance.kernel.grants.rules("main").overrides).toEqual(["react", "!send(chat=telegram:*)"]);

    const typo = await olga.post("/dash/groups/grants", { folder: "main", rules: "react\nsnd(chat=web:*)\nsend_*" });
    expect(typo.body).toContain("3 overrides saved; note: no tool named snd is registered, so that rule matches nothing");

    const cleared = await olga.post("/dash/groups/grants", { folder: "main", rules: "" });
    expect(cleared.body).toContain("overrides cleared");
    expect(db().prepare("SELECT count(*) AS n FROM group_grants").get()).toEqual({ n: 0 });
    expect(audit()).toEqual(["grants.set group main: overrides cleared", "grants.set group main: react snd(chat=web:*) send_*", "grants.set group main: react !send(chat=telegram:*)"]);
  });

  it("shows the sessions of each chat and topic", async () => {
    const chat = (await olga.post("/web/chats", { group: "main" })).body.chat as string;
    expect((await olga.post(`/web/chats/${chat}/messages`, { text: "hello" })).status).toBe(202);
    await waitFor(() => db().prepare("SELECT 1 FROM sessions WHERE group_folder = 'main' AND session_id IS NOT NULL").get(), { what: "a session of main" });
    const session = db().prepare("SELECT chat, session_id, last_seq FROM sessions WHERE group_folder = 'main'").get() as { chat: string; session_id: string; last_seq: number };

    const page = await olga.get("/dash/groups/main");
    const sessions = page.body.slice(page.body.indexOf('id="sessions"'));
    expect(sessions).toContain(`>${session.chat}</a></td><td>(main)</td><td><code>${session.session_id}</code></td><td>${session.last_seq}</td>`);
    expect(session.chat).toContain(chat);
  });

  it("shows memory files read-only and nothing outside them", async () => {
    const folder = join(instance.dataDir, "groups", "main");
    writeFileSync(join(folder, "MEMORY.md"), "Ada prefers <short> answers.\n");
    mkdirSync(join(folder, "memory", "people"), { recursive: true });
    writeFileSync(join(folder, "memory", "people", "ada.md"), "likes tea");
    writeFileSync(join(folder, ".arizuko", "secret.txt"), "host only");
    writeFileSync(join(instance.dataDir, "outside.txt"), "not a group file");
    symlinkSync(join(instance.dataDir, "outside.txt"), join(folder, "memory", "link.md"));

    const page = await olga.get("/dash/groups/main");
    const list = page.body.slice(page.body.indexOf('id="memory-files"'), page.body.indexOf("</table>", page.body.indexOf('id="memory-files"')));
    for (const file of ["MEMORY.md", "PERSONA.md", "memory/people/ada.md", "skills/README.md"]) expect(list, file).toContain(`>${file}</a>`);
    for (const hidden of [".arizuko", "media/README.md", "sessions/README.md", "memory/link.md"]) expect(list, hidden).not.toContain(hidden);

    const open = await olga.get(`/dash/groups/main?file=${encodeURIComponent("MEMORY.md")}`);
    expect(open.body).toContain('<pre class="file">Ada prefers &lt;short&gt; answers.\n</pre>');
    for (const path of ["../outside.txt", ".arizuko/secret.txt", "memory/link.md", "/etc/passwd"]) {
      const rejected = await olga.get(`/dash/groups/main?file=${encodeURIComponent(path)}`);
      expect(rejected.status, path).toBe(200);
      expect(rejected.body, path).toContain("is not a readable file of this group");
      expect(rejected.body, path).not.toContain("host only");
      expect(rejected.body, path).not.toContain("not a group file");
    }
  });

  it("leaves child groups' folders out of the memory files", async () => {
    instance.kernel.groups.add("main/child");
    writeFileSync(join(instance.dataDir, "groups", "main", "child", "MEMORY.md"), "child memory");
    await instance.kernel.runCli(["group", "rm", "main/child"]);
    instance.kernel.groups.add("main/kept");

    const page = await olga.get("/dash/groups/main");
    const list = page.body.slice(page.body.indexOf('id="memory-files"'), page.body.indexOf("</table>", page.body.indexOf('id="memory-files"')));
    expect(list).not.toContain("child/");
    expect(list).not.toContain("kept/");
    const rejected = await olga.get(`/dash/groups/main?file=${encodeURIComponent("main/kept/.arizuko/README.md")}`);
    expect(rejected.body).toContain("is not a readable file of this group");
  });

  it("answers 404 for an unknown group and 400 for a bad folder", async () => {
    expect((await olga.get("/dash/groups/nowhere")).status).toBe(404);
    const bad = await olga.get("/dash/groups/Main");
    expect(bad.status).toBe(400);
    expect(bad.body).toContain("invalid group folder: segment &quot;Main&quot; of &quot;Main&quot; must match");
    expect(bad.body).toContain('<nav aria-label="Dashboard">');
  });
});

describe("group edits", () => {
  it("renames a group", async () => {
    const renamed = await olga.post("/dash/groups/rename", { folder: "main", name: "  Front desk " });
    expect(renamed.body).toContain("renamed to Front desk");
    expect(groupRows()).toEqual([{ folder: "main", name: "Front desk" }]);

    const bad = await olga.post("/dash/groups/rename", { folder: "main", name: " " });
    expect(bad.body).toContain("invalid group name: it must be 1 to 200 characters");
    expect(groupRows()).toEqual([{ folder: "main", name: "Front desk" }]);
    expect(audit()).toEqual(['group.rename group main: "Main" → "Front desk"']);
  });

  it("removes a group with its links and keeps its folder", async () => {
    instance.kernel.groups.add("acme");
    instance.kernel.groups.add("acme/support");
    await instance.kernel.runCli(["grants", "set", "acme", "react"]);
    const bob = await person(instance, "bob");
    await instance.kernel.runCli(["user", "join", "bob", "acme"]);
    const chat = (await bob.post("/web/chats", { group: "acme" })).body.chat as string;

    const rejected = await olga.post("/dash/groups/remove", { folder: "acme" });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toContain("group acme cannot be removed: remove its child groups first (acme/support)");

    expect((await olga.post("/dash/groups/remove", { folder: "acme/support" })).headers.get("hx-redirect")).toBe("/dash/groups?removed=acme%2Fsupport");
    const removed = await olga.post("/dash/groups/remove", { folder: "acme" });
    expect(removed.headers.get("hx-redirect")).toBe("/dash/groups?removed=acme");

    expect(groupRows().map((row) => row.folder)).toEqual(["main"]);
    for (const table of ["group_grants", "user_groups"]) expect(db().prepare(`SELECT count(*) AS n FROM ${table} WHERE ${table === "user_groups" ? "folder" : "group_folder"} = 'acme'`).get(), table).toEqual({ n: 0 });
    expect(existsSync(join(instance.dataDir, "groups", "acme", "PERSONA.md"))).toBe(true);
    expect(audit()[0]).toBe(`group.remove group acme: folder kept at ${join(instance.dataDir, "groups", "acme")}`);
    expect((await olga.get("/dash/groups?removed=acme")).body).toContain("group acme removed; its folder stays on disk");
    const closed = await bob.get(`/web/chats/${chat}/messages`);
    expect([closed.status, closed.body.error.message]).toEqual([410, "group acme was removed, so this chat is closed; start a new chat with another group"]);
  });

  it("refuses to remove a group with queued messages", async () => {
    db().prepare("INSERT INTO chats (jid, platform, created_at) VALUES ('web:local/q', 'web', 0)").run();
    db()
      .prepare(
        `INSERT INTO messages (id, chat, platform_id, kind, direction, sender, text, state, group_folder, route_topic, route_layer, ts, stored_at)
         VALUES ('msg_q', 'web:local/q', 'p1', 'message', 'in', 'web:v_1', 'waiting', 'pending', 'main', '', 'route-table', 0, 0)`,
      )
      .run();

    const rejected = await olga.post("/dash/groups/remove", { folder: "main" });
    expect(rejected.body).toContain("group main cannot be removed: 1 message waits for its next run; try again when the queue is empty");
    expect(groupRows()).toHaveLength(1);
  });
});
