import type { AppConfig } from '../config/schema.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import type { Colour } from '../validate/patterns.js';
import type { GateReading } from './evaluate-gate.js';

/**
 * Where the gate reads the new colour's figures: the app's `gate.source`.
 * A source that cannot be read answers an `unreadable` reading, never throws
 * and never answers figures it did not see.
 *
 * @example
 * const reading = await gate.read(nodes, app, { colour: 'green', version: '2.0.0', since: switchedAt });
 */
export interface GatePort {
  read(nodes: readonly FleetNode[], app: AppConfig, what: { colour: Colour; version: string; since: Date }, signal?: AbortSignal): Promise<GateReading>;
}
