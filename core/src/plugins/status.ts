/**
 * Plugin states as `/health` and `arizuko plugins` report them.
 *
 *   loading   imported, migrations or register() under way
 *   ok        registered and started
 *   degraded  running, but one of its flow taps failed or timed out, or one of several
 *             channels failed to start (the last error is kept)
 *   failed    import, config, migration, register() or channel start failed, or it lost a
 *             name collision; everything it registered has been disposed
 *   stopped   disposed at shutdown
 *
 * Degraded is sticky until the next start, so an operator sees a flaky tap even
 * after it recovers.
 */
import type { PluginErrorEvent } from "@arizuko/sdk";

export type PluginState = "loading" | "ok" | "degraded" | "failed" | "stopped";

export interface PluginStatus {
  state: PluginState;
  /** Package name or path it was loaded from; `core` for the kernel. */
  source: string;
  version: string | null;
  error?: string;
  /** Hook whose tap failed, for degraded plugins. */
  hook?: string;
  /** Tap failures counted since start. */
  failures: number;
}

export class PluginStatuses {
  private readonly statuses = new Map<string, PluginStatus>();

  /**
   * @param scrub removes the config's secrets from error texts, which plugins often
   *   build from a library's message (a URL with a token in it)
   */
  constructor(
    private readonly notify: (event: PluginErrorEvent) => void,
    private readonly scrub: (text: string) => string = (text) => text,
  ) {}

  set(name: string, status: Omit<PluginStatus, "failures">): void {
    const failures = this.statuses.get(name)?.failures ?? 0;
    this.statuses.set(name, { ...status, ...(status.error !== undefined && { error: this.scrub(status.error) }), failures });
  }

  setState(name: string, state: PluginState): void {
    const status = this.statuses.get(name);
    if (status && status.state !== "failed") status.state = state;
  }

  fail(name: string, raw: string, origin?: { source: string; version: string | null }): void {
    const error = this.scrub(raw);
    const status = this.statuses.get(name) ?? { state: "failed", source: origin?.source ?? name, version: origin?.version ?? null, failures: 0 };
    this.statuses.set(name, { ...status, state: "failed", error });
    this.notify({ plugin: name, state: "failed", hook: null, error });
  }

  /** Counts a failed observer tap of `name`; the state is unchanged. */
  count(name: string): void {
    const status = this.statuses.get(name);
    if (status) status.failures += 1;
  }

  /** Marks `name` degraded after a gate or flow tap failed in `hook`; a failed plugin stays failed. */
  degrade(name: string, hook: string, raw: string): void {
    const error = this.scrub(raw);
    const status = this.statuses.get(name);
    if (!status) return;
    status.failures += 1;
    if (status.state === "failed") return;
    status.state = "degraded";
    status.error = error;
    status.hook = hook;
    this.notify({ plugin: name, state: "degraded", hook, error });
  }

  /** Marks `name` degraded because its channel `channel` failed to start. */
  degradeChannel(name: string, channel: string, error: string): void {
    const status = this.statuses.get(name);
    if (!status || status.state === "failed") return;
    status.state = "degraded";
    status.error = this.scrub(`channel ${channel} failed to start: ${error}`);
    delete status.hook;
    this.notify({ plugin: name, state: "degraded", hook: null, error: status.error });
  }

  get(name: string): PluginStatus | undefined {
    return this.statuses.get(name);
  }

  isRunning(name: string): boolean {
    const state = this.statuses.get(name)?.state;
    return state === "ok" || state === "degraded" || state === "loading";
  }

  all(): Array<[string, PluginStatus]> {
    return [...this.statuses.entries()];
  }

  /** True when any plugin is failed or degraded. */
  anyUnhealthy(): boolean {
    return [...this.statuses.values()].some((status) => status.state === "failed" || status.state === "degraded");
  }
}
