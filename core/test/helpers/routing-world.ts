/**
 * A kernel with the test channel, a tree of groups, a route table and the scripted
 * agent, for routing tests: post messages in chats, wait for intake's decision, request
 * an explanation from the admin API, and read what reached each group's agent.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { definePlugin, type Explanation, type ExplainInput } from "@arizuko/sdk";
import { fixtureAgent, startInstance, type TestInstance } from "./instance.js";
import { testChannel, type SayOptions } from "./test-channel.js";
import { waitFor } from "./wait.js";

export const GROUPS = ["main", "main/research", "main/research/deep", "main/ops", "other", "users", "users/test-bob", "users/local-main"];
export const OPERATOR = "test:op";
/** Admitted on the test platform's allowlist; anyone else is a stranger there. */
export const MEMBERS = ["test:alice", "test:bob", "test:carol"];

export interface StoredRow {
  seq: number;
  id: string;
  text: string;
  state: string;
  group_folder: string | null;
  route_topic: string | null;
  route_layer: string | null;
  route_reason: string | null;
  route_text: string | null;
  run_id: string | null;
  sender: string;
  origin_chat: string | null;
  origin_message: string | null;
  depth: number;
}

export interface AgentRun {
  run_id: string;
  texts: string[];
  context: string[];
  session_id: string | null;
}

export interface WorldOptions {
  /** Route rows `[match, target, mode?]`, checked in the order given; default `platform=test → main`. */
  rows?: Array<[string, string, ("run" | "observe")?]>;
  /** Config merged over the world's (admission, operators, runner). */
  config?: Record<string, unknown>;
  /** The plugin list; default every first-party plugin. */
  plugins?: string[];
}

/** A plugin command, so `/help` has one not built in. */
const weather = definePlugin({
  name: "weather-command",
  version: "1.0.0",
  apiVersion: 1,
  register(host) {
    host.commands.register({ name: "weather", description: "today's weather", run: () => "sunny" });
  },
});

export class RoutingWorld {
  /** Ids of the route rows the world added, in order (the seeded web row comes first). */
  readonly routeIds: number[] = [];

  private constructor(
    readonly instance: TestInstance,
    readonly channel: ReturnType<typeof testChannel>,
    private readonly token: string,
  ) {}

  static async start(options: WorldOptions = {}): Promise<RoutingWorld> {
    const channel = testChannel();
    const instance = await startInstance({
      config: {
        runner: { command: fixtureAgent("scripted.mjs") },
        admission: { test: { policy: "allowlist", allow: MEMBERS } },
        operators: [OPERATOR],
        ...(options.plugins && { plugins: options.plugins }),
        ...options.config,
      },
      plugins: [{ definition: channel.plugin }, { definition: weather }],
    });
    for (const folder of GROUPS) if (!instance.kernel.groups.exists(folder)) instance.kernel.groups.add(folder);

    const world = new RoutingWorld(instance, channel, readFileSync(join(instance.dataDir, "admin.token"), "utf8").trim());
    if (!options.plugins || options.plugins.includes("route-table")) {
      for (const [match, target, mode] of options.rows ?? [["platform=test", "main"]]) {
        const added = await world.admin("POST", "/admin/routes", { match, target, ...(mode && { mode }) });
        if (added.status !== 201) throw new Error(`route ${match} → ${target}: ${JSON.stringify(added.body)}`);
        world.routeIds.push(added.body.id);
      }
    }
    return world;
  }

  get kernel() {
    return this.instance.kernel;
  }

  /** Sends a request to the operator API with the admin token. */
  async admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(this.instance.url + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined && { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  /** Explains over the admin API; without route-table (which serves it), through the host API it wraps. */
  async explain(input: ExplainInput): Promise<Explanation> {
    if (!this.kernel.statuses.get("route-table")) return this.kernel.routing.explain(input);
    const response = await this.admin("POST", "/admin/routes/explain", {
      chat: input.chat,
      sender: input.sender,
      text: input.text,
      ...(input.topic !== undefined && { topic: input.topic }),
      ...(input.verb !== undefined && { verb: input.verb }),
      ...(input.replyTo !== undefined && { reply_to: input.replyTo }),
    });
    if (response.status !== 200) throw new Error(`explain failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as Explanation;
  }

  /** Says `text` in test chat `chat` (default sender test:alice) and waits for intake's decision. */
  async say(chat: string, text: string, options: SayOptions = {}): Promise<StoredRow> {
    const { platformId } = await this.channel.say(chat, text, { sender: "test:alice", ...options });
    return this.decided(chat, platformId);
  }

  decided(chat: string, platformId: string): Promise<StoredRow> {
    return waitFor(() => {
      const row = this.row(chat, platformId);
      return row?.route_layer ? row : undefined;
    }, { what: `intake of ${platformId} in ${chat}` });
  }

  row(chat: string, platformId: string): StoredRow | undefined {
    return this.kernel.store.db
      .prepare("SELECT * FROM messages WHERE chat = ? AND platform_id = ?")
      .get(this.channel.jid(chat), platformId) as StoredRow | undefined;
  }

  /** Waits until a message's run has finished. */
  finished(chat: string, platformId: string): Promise<StoredRow> {
    return waitFor(() => {
      const row = this.row(chat, platformId);
      return row && (row.state === "done" || row.state === "failed") ? row : undefined;
    }, { what: `the run of ${platformId} in ${chat}` });
  }

  /** Posts `text`, waits for the agent's reply and the end of its run, and returns the reply's platform id. */
  async exchange(chat: string, text: string, options: SayOptions = {}): Promise<string> {
    const request = await this.say(chat, text, options);
    const answer = await waitFor(() => this.answerTo(request), { what: `the reply to "${text}"` });
    await waitFor(() => this.kernel.queue.activeRuns === 0, { what: `the run answering "${text}" to end` });
    return answer;
  }

  /** Returns the platform id of the first agent reply to `message`, once delivered. */
  answerTo(message: Pick<StoredRow, "id">): string | undefined {
    const row = this.kernel.store.db
      .prepare("SELECT id FROM messages WHERE direction = 'out' AND kind = 'message' AND run_id IS NOT NULL AND run_id = ? ORDER BY seq LIMIT 1")
      .get(this.runOf(message.id)) as { id: string } | undefined;
    return row ? this.channel.platformIds.get(row.id) : undefined;
  }

  private runOf(messageId: string): string | null {
    const row = this.kernel.store.db.prepare("SELECT run_id FROM messages WHERE id = ?").get(messageId) as { run_id: string | null } | undefined;
    return row?.run_id ?? null;
  }

  /** Returns the platform id a notice (a control reply) got, found by its text. */
  noticeId(text: RegExp): string | undefined {
    const chunk = this.channel.sent.find((candidate) => text.test(candidate.text));
    return chunk ? this.channel.platformIds.get(chunk.messageId) : undefined;
  }

  /** Lists what each run of `folder`'s agent received, in order. */
  runs(folder: string): AgentRun[] {
    try {
      return readFileSync(join(this.kernel.groups.path(folder), "runs.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AgentRun);
    } catch {
      return [];
    }
  }

  runCount(): number {
    return (this.kernel.store.db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n;
  }

  /** Waits for the message delegated from `original` (the child's copy) and returns it. */
  delegated(original: StoredRow): Promise<StoredRow> {
    return waitFor(
      () => this.kernel.store.db.prepare("SELECT * FROM messages WHERE origin_message = ?").get(original.id) as StoredRow | undefined,
      { what: `the delegation of ${original.id}` },
    );
  }

  dispose(): Promise<void> {
    return this.instance.dispose();
  }
}
