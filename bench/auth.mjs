// Password verification time: argon2id with the parameters the core hashes with
// (core/dist/auth/passwords.js), each verification on its own, and several at once
// as a burst of sign-ins would run them on the libuv thread pool.
import { hashPassword, verifyPassword, ARGON2_OPTIONS } from "../core/dist/auth/passwords.js";
import { percentile } from "./lib/stats.mjs";

export async function auth({ authSamples }) {
  const hash = await hashPassword("correct horse battery staple");
  await verifyPassword(hash, "warm-up");

  const times = [];
  for (let sample = 0; sample < authSamples; sample += 1) {
    const started = performance.now();
    await verifyPassword(hash, sample % 2 === 0 ? "correct horse battery staple" : "wrong password");
    times.push(performance.now() - started);
  }

  const burst = 8;
  const started = performance.now();
  await Promise.all(Array.from({ length: burst }, () => verifyPassword(hash, "wrong password")));
  const burstMs = performance.now() - started;

  return { options: ARGON2_OPTIONS, p50: percentile(times, 50), p99: percentile(times, 99), burst, burstMs };
}
