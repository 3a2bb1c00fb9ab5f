/**
 * Task schedules and their next times: a 5-field cron expression in an IANA time zone,
 * an interval, or a one-shot time. The next time always comes from the schedule, never
 * from when a run ended, so a run longer than the period does not shift later ones.
 *
 * Daylight saving, for cron (croner computes the wall-clock times):
 *   - clocks go forward: a time inside the skipped hour fires at the first instant after
 *     it (02:30 on 29 March 2026 in Europe/Berlin fires at 03:00), so no day is lost;
 *   - clocks go back: a time with a fixed hour fires once, at its first occurrence. A
 *     pattern with a wildcard or stepped hour (`*\/30 * * * *`) fires at every instant
 *     it names, so it keeps its real-time rhythm through the repeated hour.
 */
import { Cron } from "croner";

export type Schedule =
  | { kind: "cron"; expression: string; zone: string }
  | { kind: "interval"; everyMs: number; anchor: number }
  | { kind: "once"; at: number };

/** A schedule that cannot be used, with the form that was expected. */
export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScheduleError";
  }
}

const MIN_INTERVAL_MS = 60_000;
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const CRON_FORM = 'five fields "minute hour day-of-month month day-of-week", e.g. "30 8 * * 1-5" for 08:30 on weekdays';

/** Checks an IANA time zone name; returns it, or throws naming the expected form. */
export function checkZone(zone: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone;
  } catch {
    throw new ScheduleError(`unknown time zone ${JSON.stringify(zone)}; use an IANA name such as Europe/Berlin or UTC`);
  }
}

/** Parses a cron expression in `zone` (default UTC). */
export function cronSchedule(expression: string, zone = "UTC"): Schedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new ScheduleError(`cron expression ${JSON.stringify(expression)} has ${fields.length} field${fields.length === 1 ? "" : "s"}; expected ${CRON_FORM}`);
  checkZone(zone);
  try {
    new Cron(fields.join(" "), { timezone: zone, paused: true });
  } catch (error) {
    throw new ScheduleError(`invalid cron expression ${JSON.stringify(expression)} (${(error as Error).message}); expected ${CRON_FORM}`);
  }
  return { kind: "cron", expression: fields.join(" "), zone };
}

/** Parses an interval such as `15m`, `2h` or `1d` (at least a minute), counted from `anchor`. */
export function intervalSchedule(every: string, anchor: number): Schedule {
  const match = /^\s*(\d{1,6})\s*([mhd])\s*$/.exec(every);
  const everyMs = match ? Number(match[1]) * UNITS[match[2]!]! : NaN;
  if (!Number.isFinite(everyMs) || everyMs < MIN_INTERVAL_MS) {
    throw new ScheduleError(`invalid interval ${JSON.stringify(every)}; expected a whole number and a unit m, h or d, at least 1m, e.g. "15m" or "2h"`);
  }
  return { kind: "interval", everyMs, anchor };
}

/** Parses a one-shot time: ISO 8601 with a zone offset or Z, e.g. `2026-12-24T18:00:00+01:00`. */
export function onceSchedule(at: string): Schedule {
  const valid = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(at.trim());
  const time = valid ? Date.parse(at.trim()) : NaN;
  if (Number.isNaN(time)) throw new ScheduleError(`invalid time ${JSON.stringify(at)}; expected ISO 8601 with an offset, e.g. "2026-12-24T18:00:00+01:00" or "2026-12-24T17:00:00Z"`);
  return { kind: "once", at: time };
}

/** Returns the first time of `schedule` strictly after `after` (ms since the epoch), or null when there is none. */
export function nextTime(schedule: Schedule, after: number): number | null {
  switch (schedule.kind) {
    case "once":
      return schedule.at > after ? schedule.at : null;
    case "interval": {
      if (schedule.anchor > after) return schedule.anchor;
      const periods = Math.floor((after - schedule.anchor) / schedule.everyMs) + 1;
      return schedule.anchor + periods * schedule.everyMs;
    }
    case "cron": {
      const next = new Cron(schedule.expression, { timezone: schedule.zone, paused: true }).nextRun(new Date(after));
      return next ? next.getTime() : null;
    }
  }
}

/** Describes the schedule in words for lists and logs: `cron 0 7 * * * (Europe/Berlin)`, `every 15m`, `once at 2026-12-24T17:00:00.000Z`. */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case "cron":
      return `cron ${schedule.expression} (${schedule.zone})`;
    case "interval":
      return `every ${intervalText(schedule.everyMs)}`;
    case "once":
      return `once at ${new Date(schedule.at).toISOString()}`;
  }
}

/** Writes an interval in the largest unit that divides it: 90 minutes is `90m`, 2 days `2d`. */
export function intervalText(everyMs: number): string {
  for (const unit of ["d", "h", "m"]) {
    if (everyMs % UNITS[unit]! === 0) return `${everyMs / UNITS[unit]!}${unit}`;
  }
  return `${everyMs}ms`;
}

/**
 * Writes a time as the wall clock of a cron task's zone shows it, e.g. `2026-06-02 09:30
 * Europe/Berlin`; null for other schedules and for UTC, whose times are shown as they are.
 */
export function zoneTime(schedule: Schedule, time: number | null): string | null {
  if (time === null || schedule.kind !== "cron" || schedule.zone === "UTC") return null;
  // The sv-SE locale writes dates as YYYY-MM-DD and times on the 24-hour clock.
  const text = new Intl.DateTimeFormat("sv-SE", { timeZone: schedule.zone, dateStyle: "short", timeStyle: "short" }).format(time);
  return `${text} ${schedule.zone}`;
}
