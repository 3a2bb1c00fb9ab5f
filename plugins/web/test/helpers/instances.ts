/** Test instances that outlive one start: restarts on the same folder and several stores in one test. */
import { rmSync } from "node:fs";
import { startInstance, type InstanceOptions, type TestInstance } from "../../../../core/test/helpers/instance.js";

export class InstancePool {
  private readonly instances: TestInstance[] = [];
  private readonly dirs = new Set<string>();

  /** Starts an instance. Pass the `dir` of a stopped one to restart it on the same store. */
  async start(options: InstanceOptions = {}): Promise<TestInstance> {
    const instance = await startInstance(options);
    this.instances.push(instance);
    this.dirs.add(instance.dir);
    return instance;
  }

  /** Stops every instance (stopping twice is a no-op) and deletes their folders. */
  async disposeAll(): Promise<void> {
    const instances = this.instances.splice(0);
    await Promise.all(instances.map((instance) => instance.stop()));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }
}
