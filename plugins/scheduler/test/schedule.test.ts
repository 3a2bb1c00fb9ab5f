/**
 * Schedules and their next times, on fixed instants. Cron is checked in UTC and in
 * Europe/Berlin across the 2026 daylight saving nights (29 March forward, 25 October
 * back). Intervals count from their anchor, and one-shot times fire once. Each error
 * shows the expected form.
 */
import { describe, expect, it } from "vitest";
import { cronSchedule, intervalSchedule, nextTime, onceSchedule, ScheduleError, zoneTime, type Schedule } from "../src/schedule.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Lists the first `count` times of `schedule` after `from`. */
function times(schedule: Schedule, from: string, count: number): Array<string | null> {
  const result: Array<string | null> = [];
  let after = at(from);
  for (let index = 0; index < count; index += 1) {
    const next = nextTime(schedule, after);
    result.push(iso(next));
    if (next === null) break;
    after = next;
  }
  return result;
}

describe("cron", () => {
  it("gives the next time strictly after the instant asked", () => {
    const schedule = cronSchedule("30 8 * * 1-5");
    // 2026-12-04 is a Friday.
    expect(times(schedule, "2026-12-04T08:30:00Z", 2)).toEqual(["2026-12-07T08:30:00.000Z", "2026-12-08T08:30:00.000Z"]);
    expect(times(schedule, "2026-12-04T08:29:59Z", 1)).toEqual(["2026-12-04T08:30:00.000Z"]);
  });

  it("reads the expression in its time zone", () => {
    expect(times(cronSchedule("0 9 * * *", "Asia/Tokyo"), "2026-12-05T00:00:00Z", 1)).toEqual(["2026-12-06T00:00:00.000Z"]);
  });

  it("fires after the spring-forward gap", () => {
    const daily = cronSchedule("30 2 * * *", "Europe/Berlin");
    expect(times(daily, "2026-03-28T12:00:00Z", 3)).toEqual([
      "2026-03-29T01:00:00.000Z", // 03:00 CEST: 02:30 does not exist that night
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("fires once in the repeated hour", () => {
    const daily = cronSchedule("30 2 * * *", "Europe/Berlin");
    expect(times(daily, "2026-10-24T12:00:00Z", 3)).toEqual([
      "2026-10-25T00:30:00.000Z", // 02:30 CEST, the first of the two
      "2026-10-26T01:30:00.000Z", // 02:30 CET
      "2026-10-27T01:30:00.000Z",
    ]);
  });

  it("keeps a stepped pattern's real-time rhythm through both nights", () => {
    const halfHourly = cronSchedule("*/30 * * * *", "Europe/Berlin");
    expect(times(halfHourly, "2026-03-29T00:10:00Z", 3)).toEqual(["2026-03-29T00:30:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-29T01:30:00.000Z"]);
    expect(times(halfHourly, "2026-10-24T23:50:00Z", 4)).toEqual(["2026-10-25T00:00:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-25T01:00:00.000Z", "2026-10-25T01:30:00.000Z"]);
  });

  it.each([
    ["* * * *", 'cron expression "* * * *" has 4 fields; expected five fields "minute hour day-of-month month day-of-week", e.g. "30 8 * * 1-5" for 08:30 on weekdays'],
    ["0 0 * * * *", 'cron expression "0 0 * * * *" has 6 fields; expected five fields'],
    ["61 * * * *", 'invalid cron expression "61 * * * *"'],
    ["every day", 'cron expression "every day" has 2 fields'],
  ])("refuses %j and shows the expected form", (expression, message) => {
    expect(() => cronSchedule(expression)).toThrow(ScheduleError);
    expect(() => cronSchedule(expression)).toThrow(message);
  });

  it("refuses an unknown time zone", () => {
    expect(() => cronSchedule("0 9 * * *", "Europe/Atlantis")).toThrow('unknown time zone "Europe/Atlantis"; use an IANA name such as Europe/Berlin or UTC');
  });
});

describe("interval", () => {
  it("counts from its anchor, so a long run does not shift later times", () => {
    const every15 = intervalSchedule("15m", at("2026-12-05T10:00:00Z"));
    expect(iso(nextTime(every15, at("2026-12-05T09:00:00Z")))).toBe("2026-12-05T10:00:00.000Z");
    expect(iso(nextTime(every15, at("2026-12-05T10:00:00Z")))).toBe("2026-12-05T10:15:00.000Z");
    // A run that started at 10:15 and ended at 10:52 is followed by the 11:00 slot, once.
    expect(iso(nextTime(every15, at("2026-12-05T10:52:00Z")))).toBe("2026-12-05T11:00:00.000Z");
  });

  it.each(["15", "30s", "0m", "1.5h", "m", "-5m", "10000000h"])("refuses %j and shows the expected form", (every) => {
    expect(() => intervalSchedule(every, 0)).toThrow(`invalid interval ${JSON.stringify(every)}; expected a whole number and a unit m, h or d, at least 1m, e.g. "15m" or "2h"`);
  });
});

describe("one-shot", () => {
  it("fires once, at its time", () => {
    const once = onceSchedule("2026-12-24T18:00:00+01:00");
    expect(times(once, "2026-12-05T00:00:00Z", 2)).toEqual(["2026-12-24T17:00:00.000Z", null]);
  });

  it.each(["2026-12-24 18:00", "2026-12-24T18:00:00", "tomorrow", "2026-13-01T00:00:00Z"])("refuses %j, which has no offset or is no time", (time) => {
    expect(() => onceSchedule(time)).toThrow(`invalid time ${JSON.stringify(time)}; expected ISO 8601 with an offset`);
  });
});

describe("zoneTime", () => {
  it("shows a cron task's time on its zone's wall clock", () => {
    expect(zoneTime(cronSchedule("30 9 * * *", "Europe/Berlin"), Date.parse("2026-06-02T07:30:00Z"))).toBe("2026-06-02 09:30 Europe/Berlin");
    expect(zoneTime(cronSchedule("30 9 * * *", "Europe/Berlin"), Date.parse("2026-12-02T08:30:00Z"))).toBe("2026-12-02 09:30 Europe/Berlin");
  });

  it("adds nothing for UTC, intervals, one-shot times and no time", () => {
    expect(zoneTime(cronSchedule("30 9 * * *"), Date.parse("2026-06-02T09:30:00Z"))).toBeNull();
    expect(zoneTime(intervalSchedule("1h", 0), 3_600_000)).toBeNull();
    expect(zoneTime(cronSchedule("30 9 * * *", "Europe/Berlin"), null)).toBeNull();
  });
});
