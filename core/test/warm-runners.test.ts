/**
 * Warm runners with the process runner, as with the docker runner's containers. A
 * unit's next run goes to the child that served its last one, and other units get
 * their own. `keepWarmMs: 0` starts a child per run. A full pool retires its oldest
 * waiting child first.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startInstance, type TestInstance } from "./helpers/instance.js";
import { waitFor } from "./helpers/wait.js";

let instance: TestInstance | undefined;
let visitor: ReturnType<TestInstance["client"]> | undefined;
afterEach(async () => {
  await instance?.dispose();
  instance = undefined;
  visitor = undefined;
});

/** Posts `text` to `chat` and resolves with the pid of the run that replied to it. */
async function answeredBy(chat: string, text: string): Promise<number> {
  visitor ??= instance!.client();
  const posted = await visitor.say(chat, text);
  expect(posted.status).toBe(202);
  const row = await waitFor(
    () => instance!.kernel.store.db.prepare("SELECT r.pid, r.state FROM runs r JOIN messages m ON m.run_id = r.id WHERE m.seq = ? AND r.state = 'done'").get(posted.body.seq) as { pid: number } | undefined ?? null,
    { what: `the run answering ${text}` },
  );
  return row.pid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("warm runners (process runner)", () => {
  it("serve a unit's next run in the same child, and other units in their own", async () => {
    instance = await startInstance();
    const first = await answeredBy("c1", "one");
    const second = await answeredBy("c1", "two");
    const other = await answeredBy("c2", "three");

    expect(second).toBe(first);
    expect(other).not.toBe(first);
    expect(alive(first)).toBe(true);
  });

  it("start a child per run when keepWarmMs is 0", async () => {
    instance = await startInstance({ config: { runner: { keepWarmMs: 0 } } });
    const first = await answeredBy("c1", "one");
    await waitFor(() => !alive(first), { what: "the first child to exit" });
    const second = await answeredBy("c1", "two");

    expect(second).not.toBe(first);
  });

  it("retire the oldest waiting child when maxRunners are alive", async () => {
    instance = await startInstance({ config: { runner: { maxRunners: 1 } } });
    const first = await answeredBy("c1", "one");
    const other = await answeredBy("c2", "two");

    expect(other).not.toBe(first);
    await waitFor(() => !alive(first), { what: "the oldest child to exit" });
    expect(alive(other)).toBe(true);
  });

  it("end waiting children when arizuko stops", async () => {
    instance = await startInstance();
    const pid = await answeredBy("c1", "one");
    await instance.stop();

    await waitFor(() => !alive(pid), { what: "the waiting child to exit" });
  });
});
