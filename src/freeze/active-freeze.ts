import type { AppConfig, Config } from '../config/schema.js';
import { parseWindowTime, type WindowTime } from './window-time.js';
import { DAY_MS, instantOfWall, wallClock } from './zoned-time.js';

/** A freeze window that applies to an app, with the zone its times are read in. */
export interface FreezeWindow {
  name: string;
  /** 'global' or the app's name: where the window is configured. */
  scope: string;
  from: string;
  to: string;
  timeZone: string;
}

/** Deploys of an app are refused now. */
export interface ActiveFreeze {
  /** The windows that keep it frozen, in order: the one active now that ends last, then any that carry on from it without a gap. */
  windows: FreezeWindow[];
  /** When deploys are allowed again. */
  until: Date;
  /** The app's local time, for messages. */
  timeZone: string;
}

/** How far windows that carry on from each other are followed: a chain longer than this is a config that freezes forever. */
const MAX_CHAIN = 32;

/**
 * The freeze windows that apply to `app`: the global ones, then its own.
 *
 * @example
 * freezeWindows(config.freeze, blog); // [{ name: 'weekend', scope: 'global', from: 'Fri 15:00', to: 'Mon 09:00', timeZone: 'Europe/Berlin' }]
 */
export function freezeWindows(freeze: Config['freeze'], app: AppConfig): { windows: FreezeWindow[]; timeZone: string } {
  const appZone = app.freeze?.timeZone ?? freeze.timeZone;
  const windows = [
    ...freeze.windows.map((w) => ({ name: w.name, scope: 'global', from: w.from, to: w.to, timeZone: w.timeZone ?? freeze.timeZone })),
    ...(app.freeze?.windows ?? []).map((w) => ({ name: w.name, scope: app.name, from: w.from, to: w.to, timeZone: w.timeZone ?? appZone })),
  ];
  return { windows, timeZone: appZone };
}

/** When the window that `at` lies in ends, or undefined when `at` lies in none of it. */
function endOf(w: FreezeWindow, at: number): number | undefined {
  // The config loader refused anything that does not parse.
  const from = parseWindowTime(w.from) as WindowTime;
  const to = parseWindowTime(w.to) as WindowTime;
  if (from.kind === 'once') {
    const start = instantOfWall(from.at, w.timeZone);
    const end = instantOfWall(to.at, w.timeZone);
    return start <= at && at < end ? end : undefined;
  }
  // Recurring windows are wall-clock times: "Mon 09:00" is 09:00 on the wall whatever DST did over the weekend.
  const period = from.kind === 'weekly' ? 7 * DAY_MS : DAY_MS;
  const wall = wallClock(at, w.timeZone);
  // 1970-01-01 was a Thursday: days since then, plus 3, count from a Monday.
  const sinceMonday = from.kind === 'weekly' ? ((Math.floor(wall / DAY_MS) + 3) % 7) * DAY_MS + (wall % DAY_MS) : wall % DAY_MS;
  const mod = (n: number) => ((n % period) + period) % period;
  const length = mod(to.at - from.at);
  const into = mod(sinceMonday - from.at);
  return into < length ? instantOfWall(wall + (length - into), w.timeZone, at + 1) : undefined;
}

/**
 * Whether deploys of an app are frozen at `now`, and until when. Pure: a
 * function of the config and the clock. Of overlapping windows the one ending
 * last counts, and a window that begins before another ends carries the
 * freeze on, so `until` is when a deploy would really be accepted.
 *
 * @example
 * activeFreeze(freezeWindows(config.freeze, blog), clock.now());
 * // { windows: [{ name: 'weekend', ... }], until: 2026-11-30T08:00:00.000Z, timeZone: 'Europe/Berlin' } or null
 */
export function activeFreeze({ windows, timeZone }: { windows: FreezeWindow[]; timeZone: string }, now: Date): ActiveFreeze | null {
  const chain: FreezeWindow[] = [];
  let until = now.getTime();
  for (let i = 0; i < MAX_CHAIN; i++) {
    let next: { w: FreezeWindow; end: number } | undefined;
    for (const w of windows) {
      const end = endOf(w, until);
      if (end !== undefined && end > until && (!next || end > next.end)) next = { w, end };
    }
    if (!next) break;
    chain.push(next.w);
    until = next.end;
  }
  return chain.length === 0 ? null : { windows: chain, until: new Date(until), timeZone };
}
