import { defineConfig } from "vitest/config";

// Tests import workspace packages from their TypeScript sources through the
// `arizuko-source` export condition; child processes (the CLI, agent runners)
// run the compiled dist/ that `npm test` builds first.
export default defineConfig({
  resolve: { conditions: ["arizuko-source"] },
  ssr: { resolve: { conditions: ["arizuko-source"] } },
  test: {
    include: ["{sdk,core,agent,plugins/*,templates/*}/test/**/*.test.ts"],
    globalSetup: ["scripts/test-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The JSON report is what .ci/run counts passes and failures from.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
