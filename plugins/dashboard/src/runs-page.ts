/**
 * The Runs page for one UTC day, optionally of one group. It lists each run with runner,
 * harness, duration, tokens, cost and how it ended, totals per group for the seven days
 * up to that day, and charts of runs and mean duration per hour drawn as SVG on the server.
 */
import { ArizukoError, type Host, type RunInfo, type RunTotals } from "@arizuko/sdk";
import { duration, html, isoTime, type Html } from "./html.js";

const DAY_MS = 86_400_000;
const MAX_ROWS = 500;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export interface RunsQuery {
  day?: string;
  group?: string;
}

/** Parses `YYYY-MM-DD` as the start of that UTC day; throws a 400 naming the expected form. */
export function dayStart(day: string | undefined, now = Date.now()): number {
  if (day === undefined || day === "") return Math.floor(now / DAY_MS) * DAY_MS;
  const start = DAY_PATTERN.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  // Date.parse rolls 2026-02-30 over to March; a day that does not exist is an error.
  if (Number.isNaN(start) || dayOf(start) !== day) throw new ArizukoError("ARZ_ERR_INVALID_DAY", `invalid day ${JSON.stringify(day)}; use YYYY-MM-DD, e.g. 2026-12-05`, { statusCode: 400 });
  return start;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const number = (value: number | null) => (value === null ? "–" : value.toLocaleString("en-US"));
const money = (value: number | null) => (value === null ? "–" : `$${value.toFixed(4)}`);
const runDuration = (run: RunInfo) => (run.endedAt === null ? "running" : duration(run.endedAt - run.startedAt));

/** Bars of `values` (one per hour) with a title; an accessible SVG image. */
function barChart(title: string, values: number[], format: (value: number) => string): Html {
  const width = 720;
  const height = 140;
  const top = 10;
  const bottom = 20;
  const largest = Math.max(...values);
  const max = Math.max(1, largest);
  const slot = width / values.length;
  const bars = values.map((value, hour) => {
    const barHeight = ((height - top - bottom) * value) / max;
    const x = hour * slot + 2;
    const y = height - bottom - barHeight;
    return html`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot - 4).toFixed(1)}" height="${barHeight.toFixed(1)}"><title>${String(hour).padStart(2, "0")}:00 ${format(value)}</title></rect>`;
  });
  const labels = [0, 6, 12, 18, 23].map((hour) => html`<text x="${(hour * slot + slot / 2).toFixed(1)}" y="${height - 5}" text-anchor="middle">${String(hour).padStart(2, "0")}h</text>`);
  const summary = largest > 0 ? `largest ${format(largest)}` : "nothing this day";
  return html`<figure><svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}; ${summary}">${bars}${labels}</svg><figcaption>${title} (${summary})</figcaption></figure>`;
}

function hourly(runs: RunInfo[], start: number): { count: number[]; meanMs: number[] } {
  const count = new Array<number>(24).fill(0);
  const total = new Array<number>(24).fill(0);
  const finished = new Array<number>(24).fill(0);
  for (const run of runs) {
    const hour = Math.min(23, Math.floor((run.startedAt - start) / 3_600_000));
    count[hour]! += 1;
    if (run.endedAt !== null) {
      total[hour]! += run.endedAt - run.startedAt;
      finished[hour]! += 1;
    }
  }
  return { count, meanMs: total.map((sum, hour) => (finished[hour]! > 0 ? sum / finished[hour]! : 0)) };
}

function totalsTable(totals: RunTotals[]): Html {
  if (totals.length === 0) return html`<p class="muted">no runs in these seven days</p>`;
  const rows = totals.map(
    (row) =>
      html`<tr><td>${row.day}</td><td>${row.group}</td><td class="number">${row.runs}</td><td class="number">${row.failed}</td><td class="number">${duration(row.durationMs / Math.max(1, row.runs))}</td><td class="number">${number(row.inputTokens)}</td><td class="number">${number(row.outputTokens)}</td><td class="number">${money(row.costUsd)}</td></tr>`,
  );
  return html`<table id="totals"><thead><tr><th scope="col">Day</th><th scope="col">Group</th><th scope="col">Runs</th><th scope="col">Failed</th><th scope="col">Mean duration</th><th scope="col">Tokens in</th><th scope="col">Tokens out</th><th scope="col">Cost</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function runsTable(runs: RunInfo[]): Html {
  if (runs.length === 0) return html`<p class="muted">no runs on this day</p>`;
  const rows = runs.map(
    (run) =>
      html`<tr><td>${isoTime(run.startedAt)}</td><td>${run.group}</td><td>${run.chat}</td><td>${run.topic || "(main)"}</td><td>${run.runner}</td><td>${run.harness ?? "–"}</td><td class="number">${runDuration(run)}</td><td class="number">${number(run.inputTokens)}</td><td class="number">${number(run.outputTokens)}</td><td class="number">${money(run.costUsd)}</td><td><span class="state state-${run.state}">${run.state}</span>${run.error ? html` <span class="muted">${run.error}</span>` : ""}</td></tr>`,
  );
  return html`<table id="run-list"><thead><tr><th scope="col">Started (UTC)</th><th scope="col">Group</th><th scope="col">Chat</th><th scope="col">Topic</th><th scope="col">Runner</th><th scope="col">Harness</th><th scope="col">Duration</th><th scope="col">Tokens in</th><th scope="col">Tokens out</th><th scope="col">Cost</th><th scope="col">Exit</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function runsPage(host: Host, query: RunsQuery): Html {
  const start = dayStart(query.day);
  const day = dayOf(start);
  const group = query.group === undefined || query.group === "" ? undefined : query.group;
  const runs = host.instance.runs.list({ since: start, until: start + DAY_MS, limit: MAX_ROWS, ...(group !== undefined && { group }) });
  const totals = host.instance.runs.totals({ since: start - 6 * DAY_MS, until: start + DAY_MS }).filter((row) => group === undefined || row.group === group);
  const { count, meanMs } = hourly(runs, start);
  const groups = host.groups.list().map((entry) => entry.folder);
  const unknownGroup = group !== undefined && !groups.includes(group) ? html`<p class="error" role="alert">There is no group ${group}; its runs, if it had any, are still listed.</p>` : "";
  const link = (ms: number) => `/dash/runs?day=${dayOf(ms)}${group ? `&group=${encodeURIComponent(group)}` : ""}`;

  return html`<form method="get" action="/dash/runs" class="filters">
  <label for="day">Day (UTC)</label> <input id="day" name="day" type="date" value="${day}">
  <label for="group">Group</label>
  <select id="group" name="group"><option value="">all groups</option>${groups.map((folder) => html`<option value="${folder}"${folder === group ? html` selected` : ""}>${folder}</option>`)}</select>
  <button type="submit">Show</button>
  <a href="${link(start - DAY_MS)}">previous day</a> ${start + DAY_MS <= Date.now() ? html`<a href="${link(start + DAY_MS)}">next day</a>` : ""}
</form>
${unknownGroup}
<section aria-labelledby="totals-title"><h2 id="totals-title">Totals per group, ${dayOf(start - 6 * DAY_MS)} to ${day}</h2>${totalsTable(totals)}</section>
<section aria-labelledby="charts-title"><h2 id="charts-title">${day} by hour</h2>
${barChart("Runs started per hour", count, (value) => `${value} run${value === 1 ? "" : "s"}`)}
${barChart("Mean duration per hour", meanMs, (value) => duration(value))}
</section>
<section aria-labelledby="list-title"><h2 id="list-title">Runs on ${day}${group ? ` in ${group}` : ""} (${runs.length}${runs.length === MAX_ROWS ? ", the newest only" : ""})</h2>${runsTable(runs)}</section>`;
}
