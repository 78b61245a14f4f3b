/**
 * Wall-clock time in an IANA time zone, with Intl alone. A "wall" value is
 * the zone's local date and time written as if it were UTC milliseconds, so
 * plain arithmetic on it moves the wall clock (a day is always 24 h of wall
 * time, whatever DST does to the real one).
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone ("Europe/Berlin", "UTC"); a typo would otherwise surface at the first deploy. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The wall clock in `timeZone` at `instant`, as wall milliseconds.
 *
 * @example
 * new Date(wallClock(Date.parse('2026-11-27T14:00:00Z'), 'Europe/Berlin')).toISOString(); // '2026-11-27T15:00:00.000Z'
 */
export function wallClock(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const seconds = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return seconds + (((instant % 1000) + 1000) % 1000);
}

/**
 * The first instant, not before `notBefore`, at which the wall clock in
 * `timeZone` reads `wall` or later. For a wall time that happens twice (the
 * hour DST gives back) that is the first reading not before `notBefore`; for
 * one that never happens (the hour DST skips) it is the moment of the jump.
 *
 * @example
 * // 02:30 on the night Berlin skips from 02:00 to 03:00 is the jump, 01:00 UTC.
 * new Date(instantOfWall(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin')).toISOString(); // '2026-03-29T01:00:00.000Z'
 */
export function instantOfWall(wall: number, timeZone: string, notBefore = -Infinity): number {
  // Zone offsets a day either side cover both sides of any change near `wall`.
  const offsets = [wallClock(wall - DAY_MS, timeZone) - (wall - DAY_MS), wallClock(wall + DAY_MS, timeZone) - (wall + DAY_MS)];
  const candidates = offsets.map((o) => wall - o);
  const exact = candidates.filter((t) => t >= notBefore && wallClock(t, timeZone) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // Skipped: search the jump between the two readings.
  let lo = Math.max(Math.min(...candidates), notBefore);
  let hi = Math.max(...candidates, lo);
  if (wallClock(lo, timeZone) >= wall) return lo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClock(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}
