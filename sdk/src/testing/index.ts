/**
 * @arizuko/sdk/testing: run a plugin against a real core (`createTestHost`) and prove a
 * channel plugin right before publishing it (`runChannelConformance`). Needs
 * `@arizuko/core` and `vitest` installed as dev dependencies.
 */
export * from "./host.js";
export * from "./conformance.js";
