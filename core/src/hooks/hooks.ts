/**
 * The hook runtime. Every tap, whoever makes it, is wrapped by one tapable interceptor
 * that enforces its hook's timeout and failure policy, so no tap can crash the process
 * or stall a message past its hook's timeout. Taps are named after their plugin.
 */
import type { Deny, Disposer, HookName, HookTypes, TapFunction, TapOptions } from "@arizuko/sdk";
import type { Logger } from "pino";
import { describe } from "../errors.js";
import {
  createTapableHook,
  HOOK_CATALOG,
  HOOK_NAMES,
  POLICY_BY_KIND,
  type FailurePolicy,
  type TapableHook,
} from "./catalog.js";

export interface TapFailure {
  plugin: string;
  hook: HookName;
  policy: FailurePolicy;
  error: string;
  timedOut: boolean;
}

type AnyFn = (...args: unknown[]) => unknown;

interface TapRecord {
  id: number;
  name: string;
  disposed: boolean;
}

class TapTimeout extends Error {
  constructor(readonly ms: number) {
    super(`did not settle within ${ms} ms`);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

function isDeny(value: unknown): value is Deny {
  return typeof value === "object" && value !== null && typeof (value as Deny).deny === "string";
}

/** Resolves with `promise`, or rejects with TapTimeout after `ms`; the timer never outlives the race. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TapTimeout(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class Hooks {
  private readonly hooks = new Map<HookName, TapableHook>();
  private readonly records = new Map<number, TapRecord>();
  private nextTapId = 1;

  /**
   * @param timeoutsMs per-hook timeouts that replace the catalog's defaults
   */
  constructor(
    private readonly log: Logger,
    private readonly onFailure: (failure: TapFailure) => void,
    private readonly timeoutsMs: Partial<Record<HookName, number>> = {},
  ) {
    for (const name of HOOK_NAMES) {
      const hook = createTapableHook(name);
      hook.intercept({ register: (tap) => ({ ...tap, fn: this.guard(name, tap as never, tap.fn as AnyFn) }) });
      this.hooks.set(name, hook);
    }
  }

  /** Taps `name` for `plugin`; the disposer removes the tap. */
  tap<K extends HookName>(name: K, plugin: string, fn: TapFunction<K>, options: TapOptions = {}): Disposer {
    const hook = this.hooks.get(name)!;
    const record: TapRecord = { id: this.nextTapId++, name: plugin, disposed: false };
    this.records.set(record.id, record);

    const tap = { name: plugin, stage: options.stage ?? 0, tapId: record.id };
    (hook.tapPromise as (options: object, fn: AnyFn) => void)(tap, (...args: unknown[]) =>
      record.disposed ? undefined : (fn as AnyFn)(...args),
    );

    return () => {
      if (record.disposed) return;
      record.disposed = true;
      this.records.delete(record.id);
      const index = hook.taps.findIndex((entry) => (entry as { tapId?: number }).tapId === record.id);
      if (index >= 0) hook.taps.splice(index, 1);
      // tapable compiles its call path from the tap list; this internal resets it.
      // Should it ever be missing, the disposed flag above still turns the tap into a no-op.
      (hook as unknown as { _resetCompilation?: () => void })._resetCompilation?.();
    };
  }

  /** Plugin names tapping `name`, in call order. */
  tappers(name: HookName): string[] {
    return this.hooks.get(name)!.taps.map((tap) => tap.name);
  }

  /** Runs a gate; resolves with the first denial, or null when every tap let the subject pass. */
  async gate<K extends HookName>(name: K, subject: HookTypes[K]["args"][0]): Promise<Deny | null> {
    const result = await (this.hooks.get(name)! as TapableHook & { promise: AnyFn }).promise(subject);
    return isDeny(result) ? result : null;
  }

  /** Runs a waterfall from `value`; each tap's result feeds the next. */
  async waterfall<K extends HookName>(
    name: K,
    value: HookTypes[K]["args"][0],
    context: HookTypes[K]["args"][1],
  ): Promise<HookTypes[K]["args"][0]> {
    return (await (this.hooks.get(name)! as TapableHook & { promise: AnyFn }).promise(value, context)) as HookTypes[K]["args"][0];
  }

  /** Runs a bail hook; resolves with the first tap's result, or null. */
  async bail<K extends HookName>(
    name: K,
    subject: HookTypes[K]["args"][0],
    context: HookTypes[K]["args"][1],
  ): Promise<Exclude<HookTypes[K]["result"], undefined | void> | null> {
    const result = await (this.hooks.get(name)! as TapableHook & { promise: AnyFn }).promise(subject, context);
    return (result ?? null) as Exclude<HookTypes[K]["result"], undefined | void> | null;
  }

  /**
   * Runs a waterfall one tap at a time and records the value after each, for explaining
   * a decision. Same taps, order and failure policy as `waterfall`.
   */
  async waterfallSteps<K extends HookName>(
    name: K,
    value: HookTypes[K]["args"][0],
    context: HookTypes[K]["args"][1],
  ): Promise<{ value: HookTypes[K]["args"][0]; steps: Array<{ plugin: string; stage: number; value: HookTypes[K]["args"][0] }> }> {
    const steps: Array<{ plugin: string; stage: number; value: HookTypes[K]["args"][0] }> = [];
    let current = value;
    for (const tap of [...this.hooks.get(name)!.taps]) {
      const result = await (tap.fn as AnyFn)(current, context);
      if (result !== undefined) current = result as HookTypes[K]["args"][0];
      steps.push({ plugin: tap.name, stage: tap.stage ?? 0, value: current });
    }
    return { value: current, steps };
  }

  /** Runs a bail hook one tap at a time; resolves with the first result and the plugin that gave it. */
  async bailWithPlugin<K extends HookName>(
    name: K,
    subject: HookTypes[K]["args"][0],
    context: HookTypes[K]["args"][1],
  ): Promise<{ plugin: string; result: Exclude<HookTypes[K]["result"], undefined | void> } | null> {
    for (const tap of [...this.hooks.get(name)!.taps]) {
      const result = await (tap.fn as AnyFn)(subject, context);
      if (result !== undefined && result !== null) return { plugin: tap.name, result: result as Exclude<HookTypes[K]["result"], undefined | void> };
    }
    return null;
  }

  /** Notifies observers; never rejects. Await it only where order matters. */
  async observe<K extends HookName>(name: K, event: HookTypes[K]["args"][0]): Promise<void> {
    const hook = this.hooks.get(name)! as TapableHook & { promise: AnyFn };
    if (hook.taps.length === 0) return;
    try {
      await hook.promise(event);
    } catch (error) {
      this.log.error({ hook: name, err: error }, "observer hook failed outside any tap");
    }
  }

  /** Wraps one tap's function with its hook's timeout and failure policy. */
  private guard(name: HookName, tap: { name: string }, fn: AnyFn): AnyFn {
    const spec = HOOK_CATALOG[name];
    const policy = POLICY_BY_KIND[spec.kind];
    const timeoutMs = this.timeoutsMs[name] ?? spec.timeoutMs;

    return async (...args: unknown[]) => {
      try {
        // Only a tap that returned a promise can hang; a synchronous one needs no timer.
        const returned = fn(...args);
        const result = isThenable(returned) ? await withTimeout(Promise.resolve(returned), timeoutMs) : returned;
        if (spec.kind === "gate") return isDeny(result) ? { deny: result.deny } : undefined;
        if (spec.kind === "observer") return undefined;
        return result ?? undefined;
      } catch (error) {
        const failure: TapFailure = {
          plugin: tap.name,
          hook: name,
          policy,
          error: describe(error),
          timedOut: error instanceof TapTimeout,
        };
        this.report(failure, args);
        if (policy === "deny") return { deny: `${tap.name} failed in ${name}: ${failure.error}` };
        return undefined;
      }
    };
  }

  private report(failure: TapFailure, args: unknown[]): void {
    const ids = messageIds(args[0]);
    const verdict = { deny: "denied", skip: "skipped", log: "logged" }[failure.policy];
    this.log.error(
      { plugin: failure.plugin, hook: failure.hook, ...ids, timedOut: failure.timedOut, err: failure.error },
      `hook tap failed; ${verdict}`,
    );
    if (failure.hook === "onPluginError") return; // never report a failure about reporting failures
    try {
      this.onFailure(failure);
    } catch (error) {
      this.log.error({ err: error }, "tap failure handler threw");
    }
  }
}

/** Message, run and chat ids found in a hook argument, so failure logs name what was being handled. */
function messageIds(argument: unknown): Record<string, unknown> {
  if (typeof argument !== "object" || argument === null) return {};
  const value = argument as Record<string, unknown>;
  const message = (value.message ?? (typeof value.seq === "number" ? value : undefined)) as
    | { id?: unknown; seq?: unknown; chat?: unknown }
    | undefined;
  const ids: Record<string, unknown> = {};
  if (message) {
    ids.messageId = message.id;
    ids.seq = message.seq;
    ids.chat = message.chat;
  }
  if (typeof value.runId === "string") ids.runId = value.runId;
  return ids;
}
