/**
 * Everything one plugin registered, so the host can undo it all: when the plugin
 * fails, loses a collision, or the host stops. Disposers run newest first.
 */
import type { Disposer } from "@arizuko/sdk";
import type { Logger } from "pino";

export class PluginScope {
  private readonly disposers: Array<() => void | Promise<void>> = [];
  private readonly controller = new AbortController();
  private disposed = false;

  constructor(
    readonly name: string,
    private readonly log: Logger,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Tracks `dispose`; the returned disposer runs it early and forgets it. */
  add(dispose: () => void | Promise<void>): Disposer {
    if (this.disposed) {
      void dispose();
      return () => {};
    }
    let done = false;
    const once = async () => {
      if (done) return;
      done = true;
      await dispose();
    };
    this.disposers.push(once);
    return () => {
      void once();
    };
  }

  /** Runs every disposer, newest first; a failing one is logged and the rest still run. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.controller.abort();
    for (const dispose of this.disposers.splice(0).reverse()) {
      try {
        await dispose();
      } catch (error) {
        this.log.warn({ plugin: this.name, err: error }, "plugin disposer failed");
      }
    }
  }
}
