import type { DeployEvent } from '../deploy/deploy-event.js';
import type { DeployRecord } from '../state/app-state.js';
import { describeOutcome, formatActor, formatDuration } from '../deploy/wording.js';

const took = (r: DeployRecord): string =>
  r.finishedAt ? ` (after ${formatDuration(new Date(r.finishedAt).getTime() - new Date(r.requestedAt).getTime())})` : '';

/**
 * Deploy events as plain lines for a terminal or a CI log: one line per phase
 * change (with the time spent in the phase left), pods and nodes counts when
 * they change, the mixed window, errors and the outcome. No spinners or
 * cursor moves, so the output greps and pipes well.
 *
 * @example
 * const printer = new ProgressPrinter((line) => io.stdout.write(`${line}\n`));
 * agent = await createAgent(config, { log, onEvent: (e) => printer.print(e) });
 * // blog-1a2b3c4d  waiting → verifying  (waiting took 4.2 s)
 * // blog-1a2b3c4d  pods 3/5 ready (green)
 */
export class ProgressPrinter {
  private readonly write: (line: string) => void;
  private readonly after: ((event: DeployEvent) => string[]) | undefined;
  /** The last count printed per deploy, so a repeated count is not printed twice. */
  private readonly lastCount = new Map<string, string>();
  private readonly timings = new Map<string, number>();

  /** `after` adds lines after an event (the deploy command's "how to continue" at verifying). */
  constructor(write: (line: string) => void, after?: (event: DeployEvent) => string[]) {
    this.write = write;
    this.after = after;
  }

  print(event: DeployEvent): void {
    const line = this.render(event);
    if (line !== undefined) this.write(`${event.deployId}  ${line}`);
    for (const extra of this.after?.(event) ?? []) this.write(`${event.deployId}  ${extra}`);
  }

  private render(e: DeployEvent): string | undefined {
    switch (e.type) {
      case 'timing':
        // Printed with the phase change that follows it.
        this.timings.set(e.deployId, e.ms);
        return undefined;
      case 'phase': {
        const ms = this.timings.get(e.deployId);
        this.timings.delete(e.deployId);
        this.lastCount.delete(e.deployId);
        const spent = ms === undefined ? '' : `  (${e.from} took ${formatDuration(ms)})`;
        const by = e.by.via === 'agent' ? '' : `  by ${formatActor(e.by)}`;
        // A failure's note is the error, which the 'error' and 'finished' lines already say.
        const note = e.note && e.to !== 'failed' ? `  ${e.note}` : '';
        return `${e.from} → ${e.to}${spent}${by}${note}`;
      }
      case 'pods':
        return this.once(e.deployId, `pods ${e.ready}/${e.desired} ready (${e.colour})`);
      case 'nodes': {
        const window = e.mixedWindowMs === undefined ? '' : `, mixed window ${formatDuration(e.mixedWindowMs)}`;
        return this.once(e.deployId, `nodes ${e.switched}/${e.total} switched to ${e.colour}${window}`);
      }
      case 'requested':
        return `${e.kind} of ${e.version} requested by ${formatActor(e.by)}${e.hold ? '; waiting for a Start in Slack' : ''}`;
      case 'intent':
        return `${e.verb} requested by ${formatActor(e.by)} (it is ${e.phase})`;
      case 'readiness': {
        const pods = `${e.ready}/${e.desired} pods of ${e.colour} Ready`;
        if (e.change === 'regained') return `readiness back: ${pods} (lost at ${e.since})`;
        return `readiness lost in ${e.phase}: ${pods}${e.until ? `; the deploy fails unless all are Ready again by ${e.until}` : ''}`;
      }
      case 'error':
        return `error in ${e.phase} [${e.code}]: ${e.message}${e.hint ? ` — ${e.hint}` : ''}`;
      case 'warning':
        return `warning in ${e.phase}: ${e.message}`;
      case 'resumed':
        return `resumed from ${e.phase}: ${e.how}${e.note ? ` (${e.note})` : ''}`;
      case 'finished':
        return `finished: ${describeOutcome(e.record)}${took(e.record)}`;
      case 'stopped':
        return `stopped in ${e.phase}: ${e.reason}${e.hint ? ` — ${e.hint}` : ''}`;
    }
  }

  private once(deployId: string, line: string): string | undefined {
    if (this.lastCount.get(deployId) === line) return undefined;
    this.lastCount.set(deployId, line);
    return line;
  }
}
