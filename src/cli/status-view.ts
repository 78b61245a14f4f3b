import type { AppStatus } from '../deploy/deploy-service.js';
import { COLOURS } from '../validate/patterns.js';
import { formatActor } from '../deploy/wording.js';

/** An app's status as `switchyard status` shows it, and as `--json` prints it. */
export interface StatusView extends AppStatus {
  /** Every node could be read and marks the same colour live (false when any could not be read). */
  nodesAgree: boolean;
}

/**
 * Adds what people ask first: do all nodes agree (the service already words
 * each fleet problem).
 *
 * @example
 * statusView(await agent.service.status('blog')).nodesAgree; // false
 */
export function statusView(s: AppStatus): StatusView {
  const nodes = s.fleet?.nodes ?? [];
  return { ...s, nodesAgree: Boolean(s.fleet?.agreed) && nodes.every((n) => !n.error) };
}

/** Lines for a terminal, one fact per line, keyed so `grep live:` works. */
export function formatStatus(v: StatusView): string[] {
  const lines = [v.app, `  live:      ${v.live ? `${v.live.colour} ${v.live.version}` : 'nothing live yet'}`];
  if (v.fleet) {
    const read = v.fleet.nodes.filter((n) => !n.error).length;
    const total = v.fleet.nodes.length;
    lines.push(`  nodes:     ${v.nodesAgree ? `all ${total} agree on ${v.fleet.agreed}` : `do not agree (${read}/${total} read)`}`);
  }
  if (v.colours) {
    for (const c of COLOURS) {
      const rs = v.colours[c];
      lines.push(`  ${`${c}:`.padEnd(10)} ${rs ? `${rs.version}  pods ${rs.readyReplicas}/${rs.replicas} ready` : 'none'}`);
    }
  }
  const f = v.inFlight;
  lines.push(
    `  in flight: ${f ? `${f.kind} ${f.id} of ${f.version} to ${f.toColour}, ${f.phase}, asked by ${formatActor(f.requestedBy)} at ${f.requestedAt}` : 'none'}`,
  );
  if (f?.phase === 'verifying') lines.push(`             continue with: switchyard promote ${v.app}   or   switchyard abort ${v.app}`);
  if (v.previous) lines.push(`  previous:  ${v.previous.colour} ${v.previous.version} (switchyard rollback ${v.app})`);
  if (v.problems.length > 0) lines.push('  problems:', ...v.problems.map((p) => `    - ${p}`));
  return lines;
}
