/** The middle value (the upper one of an even count). */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Milliseconds as printed: one decimal. */
export const round = (ms: number): number => Math.round(ms * 10) / 10;
