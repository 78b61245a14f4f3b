import { describe, expect, it } from 'vitest';
import { activeFreeze, type FreezeWindow } from '../../src/freeze/active-freeze.js';
import { instantOfWall, wallClock } from '../../src/freeze/zoned-time.js';

const BERLIN = 'Europe/Berlin';
const window = (name: string, from: string, to: string, timeZone = BERLIN): FreezeWindow => ({ name, scope: 'global', from, to, timeZone });
const weekend = window('weekend', 'Fri 15:00', 'Mon 09:00');

/** The freeze at `now` (UTC), as the window names and when it ends (UTC). */
function frozen(windows: FreezeWindow[], now: string): { names: string[]; until: string } | null {
  const f = activeFreeze({ windows, timeZone: BERLIN }, new Date(now));
  return f && { names: f.windows.map((w) => w.name), until: f.until.toISOString() };
}

describe('zoned time: wall clock and back with Intl only', () => {
  it.each([
    // Winter (UTC+1) and summer (UTC+2) in Berlin.
    { instant: '2026-01-16T14:00:00.000Z', zone: BERLIN, wall: '2026-01-16T15:00:00.000Z' },
    { instant: '2026-07-17T13:00:00.000Z', zone: BERLIN, wall: '2026-07-17T15:00:00.000Z' },
    { instant: '2026-07-17T13:00:00.250Z', zone: 'America/New_York', wall: '2026-07-17T09:00:00.250Z' },
    { instant: '2026-07-17T13:00:00.000Z', zone: 'Asia/Kolkata', wall: '2026-07-17T18:30:00.000Z' },
  ])('$instant in $zone reads $wall and maps back', ({ instant, zone, wall }) => {
    expect(new Date(wallClock(Date.parse(instant), zone)).toISOString()).toBe(wall);
    expect(new Date(instantOfWall(Date.parse(wall), zone)).toISOString()).toBe(instant);
  });

  it('takes a skipped wall time (spring forward) as the moment of the jump', () => {
    // Berlin goes from 02:00 CET to 03:00 CEST at 01:00 UTC on 2026-03-29.
    expect(new Date(instantOfWall(Date.UTC(2026, 2, 29, 2, 30), BERLIN)).toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('takes a repeated wall time (fall back) as its first reading, or the first one not before a given instant', () => {
    // Berlin goes from 03:00 CEST back to 02:00 CET at 01:00 UTC on 2026-10-25: 02:30 happens at 00:30 and 01:30 UTC.
    const wall = Date.UTC(2026, 9, 25, 2, 30);
    expect(new Date(instantOfWall(wall, BERLIN)).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(new Date(instantOfWall(wall, BERLIN, Date.parse('2026-10-25T01:10:00Z'))).toISOString()).toBe('2026-10-25T01:30:00.000Z');
  });
});

describe('activeFreeze: when deploys are refused, and until when', () => {
  it.each([
    { what: 'a Wednesday is open', now: '2026-01-14T12:00:00Z', want: null },
    { what: 'Friday 14:59 Berlin is still open', now: '2026-01-16T13:59:59Z', want: null },
    { what: 'Friday 15:00 Berlin is frozen until Monday 09:00 Berlin', now: '2026-01-16T14:00:00Z', want: { names: ['weekend'], until: '2026-01-19T08:00:00.000Z' } },
    { what: 'Saturday night (UTC Saturday, across the date line of the week)', now: '2026-01-17T23:30:00Z', want: { names: ['weekend'], until: '2026-01-19T08:00:00.000Z' } },
    { what: 'Sunday 23:30 UTC is Monday 00:30 in Berlin: still frozen', now: '2026-01-18T23:30:00Z', want: { names: ['weekend'], until: '2026-01-19T08:00:00.000Z' } },
    { what: 'Monday 08:59:59 Berlin is frozen for one more second', now: '2026-01-19T07:59:59Z', want: { names: ['weekend'], until: '2026-01-19T08:00:00.000Z' } },
    { what: 'Monday 09:00 Berlin is open again', now: '2026-01-19T08:00:00Z', want: null },
    // Summer: the same wall times, one hour earlier in UTC.
    { what: 'a summer Friday 15:00 Berlin is 13:00 UTC', now: '2026-07-17T13:00:00Z', want: { names: ['weekend'], until: '2026-07-20T07:00:00.000Z' } },
    { what: 'a summer Friday 13:30 UTC (15:30 Berlin; 14:30 in winter time) is frozen', now: '2026-07-17T13:30:00Z', want: { names: ['weekend'], until: '2026-07-20T07:00:00.000Z' } },
  ])('weekly: $what', ({ now, want }) => {
    expect(frozen([weekend], now)).toEqual(want);
  });

  it.each([
    // 2026-03-29: Berlin springs forward on Sunday; Friday 15:00 CET is 14:00 UTC, Monday 09:00 CEST is 07:00 UTC.
    { what: 'spring forward: frozen from Friday 14:00 UTC', now: '2026-03-27T14:00:00Z', want: { names: ['weekend'], until: '2026-03-30T07:00:00.000Z' } },
    { what: 'spring forward: open at Monday 07:00 UTC, which a fixed offset would still call frozen', now: '2026-03-30T07:00:00Z', want: null },
    { what: 'spring forward: during the skipped hour', now: '2026-03-29T01:30:00Z', want: { names: ['weekend'], until: '2026-03-30T07:00:00.000Z' } },
    // 2026-10-25: Berlin falls back on Sunday; Friday 15:00 CEST is 13:00 UTC, Monday 09:00 CET is 08:00 UTC.
    { what: 'fall back: frozen from Friday 13:00 UTC', now: '2026-10-23T13:00:00Z', want: { names: ['weekend'], until: '2026-10-26T08:00:00.000Z' } },
    { what: 'fall back: still frozen at Monday 07:30 UTC (08:30 CET)', now: '2026-10-26T07:30:00Z', want: { names: ['weekend'], until: '2026-10-26T08:00:00.000Z' } },
    { what: 'fall back: in the repeated hour', now: '2026-10-25T01:30:00Z', want: { names: ['weekend'], until: '2026-10-26T08:00:00.000Z' } },
  ])('a weekend across a DST change: $what', ({ now, want }) => {
    expect(frozen([weekend], now)).toEqual(want);
  });

  it('ends a nightly window that closes in the repeated hour at its second reading when asked during it', () => {
    const night = window('night', '22:00', '02:30');
    // 02:10 CET, after the clocks went back: 02:30 CET is 01:30 UTC (02:30 CEST, 00:30 UTC, has passed).
    expect(frozen([night], '2026-10-25T01:10:00Z')).toEqual({ names: ['night'], until: '2026-10-25T01:30:00.000Z' });
    expect(frozen([night], '2026-10-24T23:00:00Z')).toEqual({ names: ['night'], until: '2026-10-25T00:30:00.000Z' });
    expect(frozen([night], '2026-10-25T00:45:00Z')).toBeNull();
  });

  it.each([
    { what: 'before', now: '2026-12-23T16:59:59Z', want: null },
    { what: 'from its first second', now: '2026-12-23T17:00:00Z', want: { names: ['year-end'], until: '2027-01-04T08:00:00.000Z' } },
    { what: 'on New Year', now: '2027-01-01T00:00:00Z', want: { names: ['year-end'], until: '2027-01-04T08:00:00.000Z' } },
    { what: 'after', now: '2027-01-04T08:00:00Z', want: null },
  ])('one-off dates in their zone: $what', ({ now, want }) => {
    expect(frozen([window('year-end', '2026-12-23 18:00', '2027-01-04 09:00')], now)).toEqual(want);
  });

  it('reads a date alone as its midnight, in the window\'s own zone', () => {
    const launch = window('launch', '2026-03-02', '2026-03-03', 'America/New_York');
    expect(frozen([launch], '2026-03-02T04:59:00Z')).toBeNull();
    expect(frozen([launch], '2026-03-02T05:00:00Z')).toEqual({ names: ['launch'], until: '2026-03-03T05:00:00.000Z' });
  });

  it('names the overlapping window that ends last', () => {
    const migration = window('migration', '2026-01-17 10:00', '2026-01-19 12:00');
    expect(frozen([weekend, migration], '2026-01-17T12:00:00Z')).toEqual({ names: ['migration'], until: '2026-01-19T11:00:00.000Z' });
    expect(frozen([migration, weekend], '2026-01-17T12:00:00Z')).toEqual({ names: ['migration'], until: '2026-01-19T11:00:00.000Z' });
  });

  it('follows a window that begins before the active one ends, so "until" is when a deploy is really accepted', () => {
    const migration = window('migration', '2026-01-19 08:30', '2026-01-19 12:00');
    expect(frozen([weekend, migration], '2026-01-17T12:00:00Z')).toEqual({ names: ['weekend', 'migration'], until: '2026-01-19T11:00:00.000Z' });
    // One that begins only after the weekend ends (a gap) does not.
    expect(frozen([weekend, window('later', '2026-01-19 09:30', '2026-01-19 12:00')], '2026-01-17T12:00:00Z')).toEqual({ names: ['weekend'], until: '2026-01-19T08:00:00.000Z' });
  });
});
