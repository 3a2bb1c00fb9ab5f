// Runs autocannon against a URL in this process and prints its result as one JSON line.
// Started as a child process, so the load generator never shares a thread with the server.
// Usage: node cannon.mjs '<autocannon options as JSON>'
import autocannon from "autocannon";

const options = JSON.parse(process.argv[2]);
const result = await autocannon(options);
process.stdout.write(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    durationSeconds: result.duration,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  }) + "\n",
);
