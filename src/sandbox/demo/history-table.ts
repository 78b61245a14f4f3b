import { formatActor } from '../../deploy/wording.js';
import type { DeployRecord } from '../../state/app-state.js';

const took = (r: DeployRecord): string => {
  if (!r.finishedAt) return '';
  const ms = new Date(r.finishedAt).getTime() - new Date(r.requestedAt).getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
};

/**
 * An app's history as a short table, newest first: what was asked, the
 * colours, how it ended, who asked, started and promoted, and how long it took.
 *
 * @example
 * formatHistoryTable(await service.history('blog')).forEach((l) => console.log(l));
 * // ID             KIND      VERSION  COLOURS        RESULT       REQUESTED BY      TOOK
 * // blog-2c1f9a0e  rollback  1.0.0    green → blue   rolled-back  U03CAROL (slack)  1.1 s
 */
export function formatHistoryTable(records: readonly DeployRecord[]): string[] {
  const rows = records.map((r) => [
    r.id,
    r.kind,
    r.version,
    `${r.fromColour ?? '-'} → ${r.toColour}`,
    r.phase,
    `${formatActor(r.requestedBy)}${r.startedBy ? `, started by ${r.startedBy.name ?? r.startedBy.id}` : ''}${r.promotedBy ? `, promoted by ${r.promotedBy.name ?? r.promotedBy.id}` : ''}`,
    took(r),
  ]);
  const table = [['ID', 'KIND', 'VERSION', 'COLOURS', 'RESULT', 'REQUESTED BY', 'TOOK'], ...rows];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}
