import { ProgressPrinter } from '../../cli/progress-printer.js';
import { formatDuration } from '../../deploy/wording.js';
import type { DeployEvent } from '../../deploy/deploy-event.js';
import type { Phase } from '../../state/app-state.js';
import type { DemoOutput } from './demo-output.js';

/**
 * Live progress of the sandbox's deploys: the CLI's own lines (phases with
 * the time each took, pods x/y ready, nodes x/y switched, the mixed window),
 * plus what the demo explains (how a rollback re-creates the retired colour)
 * and, when a run finishes, its time per phase in one line. With --json,
 * each event is one JSON line, as `switchyard deploy --json` prints them.
 *
 * @example
 * const progress = new DemoProgress(output);
 * const agent = await createAgent(config, { log, onEvent: (e) => progress.print(e) });
 */
export class DemoProgress {
  private readonly o: DemoOutput;
  private readonly printer: ProgressPrinter;
  private readonly timings = new Map<string, Array<[Phase, number]>>();
  private readonly creatingNotes = new Map<string, string>();

  constructor(o: DemoOutput) {
    this.o = o;
    this.printer = new ProgressPrinter((line) => o.say(`  ${line}`), (e) => this.extra(e));
  }

  print(e: DeployEvent): void {
    if (e.type === 'timing') this.timings.set(e.deployId, [...(this.timings.get(e.deployId) ?? []), [e.phase, e.ms]]);
    if (this.o.json) this.o.step(e);
    else this.printer.print(e);
  }

  /** A line to show when the run `deployId` enters creating. */
  onCreating(deployId: string, note: string): void {
    this.creatingNotes.set(deployId, note);
  }

  /** Milliseconds per phase of a run, from its 'timing' events (summed when a phase is entered twice). */
  phaseTimings(deployId: string): Partial<Record<Phase, number>> {
    const sums: Partial<Record<Phase, number>> = {};
    for (const [phase, ms] of this.timings.get(deployId) ?? []) sums[phase] = (sums[phase] ?? 0) + ms;
    return sums;
  }

  private extra(e: DeployEvent): string[] {
    if (e.type === 'phase' && e.to === 'creating') {
      const note = this.creatingNotes.get(e.deployId);
      return note ? [note] : [];
    }
    if (e.type === 'finished') {
      const parts = Object.entries(this.phaseTimings(e.deployId)).map(([phase, ms]) => `${phase} ${formatDuration(ms)}`);
      return parts.length > 0 ? [`time per phase: ${parts.join(', ')}`] : [];
    }
    return [];
  }
}
