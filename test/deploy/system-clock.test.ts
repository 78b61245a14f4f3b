import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/deploy/system-clock.js';

describe('systemClock', () => {
  it('ends a sleep as soon as its signal aborts, without throwing', async () => {
    const stop = new AbortController();
    const slept = systemClock.sleep(3_600_000, stop.signal);
    stop.abort();
    await expect(slept).resolves.toBeUndefined();
    await expect(systemClock.sleep(3_600_000, stop.signal)).resolves.toBeUndefined();
  });

  it('sleeps for a short time and tells the time', async () => {
    await expect(systemClock.sleep(1)).resolves.toBeUndefined();
    expect(systemClock.now()).toBeInstanceOf(Date);
  });
});
