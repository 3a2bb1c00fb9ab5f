export { demoHarness, demoReply, personaLine, DEMO_MARK } from "./harnesses/demo.js";
export type { Harness, HarnessContext, HarnessFrame } from "./harness.js";
