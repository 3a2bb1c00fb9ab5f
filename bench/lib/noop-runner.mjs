// A runner for benchmarks: finishes every run at once, in process, without an agent,
// and tells the benchmark when each run spec arrived. Implements the core's Runner
// interface (core/src/agent/runner.ts).
export class NoopRunner {
  name = "noop";

  /** @param onStart called with each run frame as the runner receives it */
  constructor(onStart = () => {}) {
    this.onStart = onStart;
  }

  async start(frame, handlers) {
    this.onStart(frame);
    setImmediate(() => {
      handlers.onFrame({ type: "done", run_id: frame.run_id });
      handlers.onExit({ code: 0, signal: null, stderr: "" });
    });
    return { pid: null, features: [], stop() {}, close() {}, kill() {} };
  }

  reap() {}

  async check() {
    return {};
  }
}
