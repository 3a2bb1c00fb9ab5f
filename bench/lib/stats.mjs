// Small helpers for benchmark figures: percentiles, rounding, tables, least squares, RSS.
import { readFileSync } from "node:fs";

/** Returns the p-th percentile (0..100) of `values`, nearest rank; NaN for no values. */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function round(value, digits = 2) {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Returns the least-squares slope of y over x for [x, y] points. */
export function slope(points) {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  const numerator = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const denominator = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return numerator / denominator;
}

/** Prints rows (arrays of cells, the first one the header) as an aligned table under a title. */
export function printTable(title, rows) {
  const text = rows.map((row) => row.map((cell) => String(cell)));
  const widths = text[0].map((_, column) => Math.max(...text.map((row) => (row[column] ?? "").length)));
  console.log(`\n${title}`);
  for (const row of text) console.log("  " + row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd());
}

/** Returns the resident set size of a process in MiB, read from /proc. */
export function rssMegabytes(pid = process.pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}
