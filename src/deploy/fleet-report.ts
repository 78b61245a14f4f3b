import type { Colour } from '../validate/patterns.js';

/**
 * What a fleet check found for one app: which colour each node's nginx serves,
 * against the record. Written by the periodic drift check of `switchyard
 * serve` and by `switchyard check`; shown by the dashboard and the log.
 */
export interface FleetReport {
  app: string;
  /** When the nodes were read (ISO 8601). */
  checkedAt: string;
  /** Each node's colour; null with `error` where it could not be told (unreachable, unsettled, nginx not running the file). */
  nodes: { node: string; colour: Colour | null; error?: string }[];
  /** The live colour the app's record names; null before a first deploy. */
  recorded: Colour | null;
  /**
   * One line for people when nodes disagree with each other or with the
   * record: which nodes, and the command that fixes it. Null when they agree.
   */
  drift: string | null;
}

/** Two reports say the same thing (the check time aside): a change is told once. */
export function sameFindings(a: FleetReport, b: FleetReport): boolean {
  const strip = ({ checkedAt: _, ...rest }: FleetReport) => JSON.stringify(rest);
  return strip(a) === strip(b);
}
