import { DAY_MS, MINUTE_MS } from './zoned-time.js';

/**
 * One end of a freeze window as people write it in the config:
 * "Fri 15:00" (every week), "22:00" (every day) or "2026-12-23 18:00" /
 * "2026-12-23" (once; a date alone is its midnight).
 */
export type WindowTime =
  /** Wall milliseconds since the start of the week (Monday 00:00). */
  | { kind: 'weekly'; at: number }
  /** Wall milliseconds since midnight. */
  | { kind: 'daily'; at: number }
  /** A wall date and time (see zoned-time.ts). */
  | { kind: 'once'; at: number };

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const FULL_DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** What each form looks like, for messages. */
export const WINDOW_TIME_FORMS = '"Fri 15:00" (weekly), "22:00" (daily) or "2026-12-23 18:00" / "2026-12-23" (once)';

function clock(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? (Number(m[1]) * 60 + Number(m[2])) * MINUTE_MS : undefined;
}

/**
 * Reads one end of a window; undefined when it is none of the forms.
 *
 * @example
 * parseWindowTime('Fri 15:00');        // { kind: 'weekly', at: (4 * 24 + 15) * 3_600_000 }
 * parseWindowTime('2026-12-23 18:00'); // { kind: 'once', at: Date.UTC(2026, 11, 23, 18) }
 */
export function parseWindowTime(text: string): WindowTime | undefined {
  const words = text.trim().split(/\s+/);
  if (words.length === 1) {
    const daily = clock(words[0]!);
    if (daily !== undefined) return { kind: 'daily', at: daily };
  }
  const [first = '', second] = words;
  if (words.length > 2) return undefined;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(first);
  if (date) {
    const [y, mo, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const day = Date.UTC(y, mo - 1, d);
    // Date.UTC rolls 2026-02-30 over into March: a date that does not exist is refused.
    if (new Date(day).getUTCDate() !== d || new Date(day).getUTCMonth() !== mo - 1) return undefined;
    const time = second === undefined ? 0 : clock(second);
    return time === undefined ? undefined : { kind: 'once', at: day + time };
  }
  const name = first.toLowerCase();
  const index = Math.max(DAYS.indexOf(name as (typeof DAYS)[number]), FULL_DAYS.indexOf(name as (typeof FULL_DAYS)[number]));
  const time = second === undefined ? undefined : clock(second);
  return index >= 0 && time !== undefined ? { kind: 'weekly', at: index * DAY_MS + time } : undefined;
}
