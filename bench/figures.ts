import { readFile } from 'node:fs/promises';

/** The middle value (the upper one of an even count). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Milliseconds as printed: one decimal. */
export const round = (ms: number): number => Math.round(ms * 10) / 10;

/** The value below which `p` percent of `xs` fall (nearest rank). */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * CPU time the whole machine spent busy (all cores, every process: the test
 * nodes share them), in ms, from /proc/stat. The difference across a span of
 * work is what that work cost in CPU, whoever did it.
 */
export async function machineBusyMs(): Promise<number> {
  const ticks = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = ticks[3]! + ticks[4]!; // idle + iowait
  return (ticks.reduce((a, b) => a + b, 0) - idle) * (1000 / USER_HZ);
}

/** The kernel's clock ticks per second for /proc/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;
