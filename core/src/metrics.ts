/**
 * Prometheus metrics at `GET /metrics` (operator only: the admin token or an
 * operator's access token as a bearer token, which Prometheus's `authorization`
 * setting sends). Counters follow the pipeline through the core's own observer taps,
 * so they cost nothing on the message path; gauges are read when scraped. Each
 * instance has its own registry, so several kernels in one process never mix figures.
 */
import type { RunUnit, StoredMessage } from "@arizuko/sdk";
import { tryParseJid } from "@arizuko/sdk";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Hooks } from "./hooks/hooks.js";
import type { HttpRoutes } from "./http/routes.js";
import type { Owner } from "./plugins/registry.js";
import { busyCount } from "./store/db.js";

const PREFIX = "arizuko_";
/** Histogram buckets in seconds, from a quick reply to a long tool-using run. */
const RUN_BUCKETS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900];

/** Returns the platform part of a chat JID for labels, or `unknown` when it cannot be parsed. */
function platformOf(chat: string): string {
  const jid = tryParseJid(chat);
  return jid?.kind === "chat" ? jid.platform : "unknown";
}

export interface MetricsSources {
  queueDepth(): number;
  activeRuns(): number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly inbound = this.counter("messages_inbound_total", "Inbound messages stored, by platform.", ["platform"]);
  private readonly outbound = this.counter("messages_outbound_total", "Reply chunks delivered to a platform, by platform.", ["platform"]);
  private readonly deliveryFailures = this.counter("delivery_failures_total", "Failed delivery attempts (each is retried or given up), by platform.", ["platform"]);
  private readonly routing = this.counter("routing_decisions_total", "Routing outcomes of inbound messages, by the layer that decided.", ["layer"]);
  private readonly runs = this.counter("runs_total", "Agent runs that ended, by outcome.", ["outcome"]);
  private readonly runSeconds = new Histogram({ name: `${PREFIX}run_duration_seconds`, help: "Duration of agent runs.", buckets: RUN_BUCKETS, registers: [this.registry] });
  private readonly toolCalls = this.counter("tool_calls_total", "MCP tool calls, by tool and verdict (ok, error, denied, invalid, timeout, unknown).", ["tool", "verdict"]);
  private readonly pluginErrors = this.counter("plugin_errors_total", "Plugin tap failures (thrown or timed out), by plugin and hook.", ["plugin", "hook"]);
  private readonly retained = this.counter("retention_deleted_total", "Rows and files the retention prune deleted, by kind (messages, outbox, media, runs, tool_calls).", ["kind"]);

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    const registers = [this.registry];
    new Gauge({ name: `${PREFIX}queue_depth`, help: "Inbound messages waiting for routing or for their run.", registers, collect() { this.set(sources.queueDepth()); } });
    new Gauge({ name: `${PREFIX}runs_active`, help: "Agent runs in progress.", registers, collect() { this.set(sources.activeRuns()); } });
    new Counter({
      name: `${PREFIX}sqlite_busy_total`,
      help: "Times the database stayed locked past its busy timeout (each retried, or responded to with 503), in this process.",
      registers,
      collect() {
        this.reset();
        this.inc(busyCount());
      },
    });
  }

  private counter(name: string, help: string, labelNames: string[]): Counter<string> {
    return new Counter({ name: `${PREFIX}${name}`, help, labelNames, registers: [this.registry] });
  }

  /** Counts a tap failure; called by the hooks for every one, whatever its policy. */
  pluginFailed(plugin: string, hook: string): void {
    this.pluginErrors.inc({ plugin, hook });
  }

  /** Counts what one retention prune deleted. */
  retentionPruned(counts: { messages: number; outbox: number; media: number; runs: number; toolCalls: number }): void {
    const kinds = { messages: counts.messages, outbox: counts.outbox, media: counts.media, runs: counts.runs, tool_calls: counts.toolCalls };
    for (const [kind, count] of Object.entries(kinds)) this.retained.inc({ kind }, count);
  }

  /** Taps the observer hooks the counters follow, as the core. */
  tap(hooks: Hooks): void {
    hooks.tap("afterStore", "core", ({ message }: { message: StoredMessage }) => {
      if (message.direction === "in") this.inbound.inc({ platform: platformOf(message.chat) });
    });
    hooks.tap("afterRoute", "core", ({ admitted, control, decision }) => {
      let layer = decision?.layer ?? "none";
      if (control) layer = "control";
      if (!admitted) layer = "admission";
      this.routing.inc({ layer });
    });
    hooks.tap("afterAgentRun", "core", ({ outcome, durationMs }: { unit: RunUnit; outcome: string; durationMs: number }) => {
      this.runs.inc({ outcome });
      this.runSeconds.observe(durationMs / 1000);
    });
    hooks.tap("afterToolCall", "core", ({ tool, verdict }) => this.toolCalls.inc({ tool, verdict }));
    hooks.tap("afterDelivery", "core", ({ chunk }) => this.outbound.inc({ platform: platformOf(chunk.chat) }));
    hooks.tap("onDeliveryFailed", "core", ({ chunk }) => this.deliveryFailures.inc({ platform: platformOf(chunk.chat) }));
  }

  register(http: HttpRoutes, owner: Owner): void {
    http.register(
      {
        method: "GET",
        url: "/metrics",
        auth: "operator",
        schema: {
          summary: "Prometheus metrics",
          description: "Counters and histograms of messages, routing, runs, tool calls and deliveries, in the Prometheus text format.",
          response: { 200: { description: "The metrics.", content: { "text/plain": { schema: { type: "string" } } } } },
        },
        handler: async (_request, reply) => reply.type(this.registry.contentType).send(await this.registry.metrics()),
      },
      owner,
    );
  }
}
