import type { GateReading } from '../gate/evaluate-gate.js';
import type { ColoursView, FleetView } from './ports.js';

/** The last action failed: what it was and the error it ended with. */
export interface ActionFailure {
  /** The action's kind, or 'revert' for a switch that puts nodes back. */
  action: string;
  code: string;
  message: string;
  /** What the person should do next, kept with the error in the record. */
  hint?: string;
}

/**
 * What the world looks like now, as the runner read it for one pass. Only
 * `colours` is read on every pass; the fleet is read over SSH only where the
 * decision needs it (see needsFleet), and the rest is what the runner saw its
 * own actions do in this process.
 */
export interface Observation {
  colours: ColoursView;
  /** Present when needsFleet(record) is true. */
  fleet?: FleetView;
  /** Every node reported its old nginx workers gone (drain by evidence). */
  drained?: boolean;
  /** The smoke check passed in the current phase (re-run after a restart: it is only a GET per node). */
  smokePassed?: boolean;
  /**
   * This process staged the switch in the current phase, or tried and
   * warned (staging is only a head start). A restarted runner has not: it
   * stages again.
   */
  staged?: boolean;
  /** The mixed window of the switch this process just made (first node's reload to the last one's). */
  mixedWindowMs?: number;
  /** The latest gate check this process made in the current phase. */
  gate?: GateReading;
  /** The previous pass's action failed. */
  failure?: ActionFailure;
}
