/**
 * scheduler: prompts a group runs on a cron schedule, an interval or once, as if a
 * message arrived in the task's chat. Agents manage tasks with MCP tools, operators
 * with `arizuko task` and the dashboard's Tasks page. Tasks fire only in a running
 * instance: a host booted for a CLI command changes tasks but never fires them.
 */
import { definePlugin, HOST_API_VERSION, type JsonSchema, type PluginDefinition } from "@arizuko/sdk";
import { taskCommand } from "./cli.js";
import { systemClock, type Clock } from "./clock.js";
import { registerPanel } from "./panel.js";
import { Scheduler } from "./scheduler.js";
import { TaskStore } from "./tasks.js";
import { taskTools } from "./tools.js";

export interface SchedulerConfig {
  catchUp: "once" | "skip";
  lateAfterMs: number;
  maxTasksPerGroup: number;
}

export interface SchedulerPluginOptions {
  /** The time source; tests pass a fake clock. */
  clock?: Clock;
}

/** Builds the plugin; the default export uses the system clock. */
export function schedulerPlugin(options: SchedulerPluginOptions = {}): PluginDefinition<JsonSchema, SchedulerConfig> {
  const clock = options.clock ?? systemClock;

  return definePlugin<JsonSchema, SchedulerConfig>({
    name: "scheduler",
    version: "0.1.0",
    apiVersion: HOST_API_VERSION,
    description: "Runs prompts on a cron schedule, an interval or once, as if a message arrived; MCP tools, `arizuko task` and a dashboard page manage them.",
    configSchema: {
      type: "object",
      additionalProperties: false,
      properties: {
        catchUp: {
          enum: ["once", "skip"],
          default: "once",
          description: "once: a task whose times passed while arizuko was down runs once at start-up; skip: those times are recorded as missed",
        },
        lateAfterMs: { type: "integer", minimum: 1000, maximum: 86_400_000, default: 60_000, description: "with catchUp skip, a due time found this late counts as missed" },
        maxTasksPerGroup: { type: "integer", minimum: 1, maximum: 10_000, default: 50, description: "active or paused tasks agents may make per group" },
      },
    },
    migrations: new URL("../migrations", import.meta.url),

    register(host, config) {
      const store = new TaskStore(host.db);
      const scheduler = new Scheduler(
        { store, clock, runs: host.runs, messages: host.messages, groups: host.groups, log: host.log },
        { catchUp: config.catchUp, lateAfterMs: config.lateAfterMs },
      );
      const checks = { groups: host.groups, channels: host.channels };
      const now = () => clock.now();

      const audit = (entry: Parameters<typeof host.instance.audit.record>[0]) => host.instance.audit.record(entry);
      for (const tool of taskTools(scheduler, store, checks, now, config.maxTasksPerGroup, audit)) host.tools.register(tool);
      host.cli.register(taskCommand(scheduler, store, checks, now));
      registerPanel(host, scheduler, store, checks, now);

      host.hooks.onAgentStart.tap(({ runId }) => scheduler.runStarted(runId));
      host.hooks.afterAgentRun.tap(({ runId, outcome, error }) => scheduler.runEnded(runId, outcome, error));
      // Only a serving instance fires tasks, once recovery has re-queued what a stop left.
      host.hooks.onReady.tap(() => scheduler.start());
      host.onDispose(() => scheduler.stop());
    },
  });
}

export default schedulerPlugin();

export { Scheduler } from "./scheduler.js";
export { TaskStore, type Task, type TaskRun } from "./tasks.js";
export type { Clock } from "./clock.js";
