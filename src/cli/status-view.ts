import type { AppStatus } from '../deploy/deploy-service.js';
import { COLOURS } from '../validate/patterns.js';
import { formatActor } from './progress-printer.js';

/** An app's status as `switchyard status` shows it, and as `--json` prints it. */
export interface StatusView extends AppStatus {
  /** Every node could be read and marks the same colour live (false when any could not be read). */
  nodesAgree: boolean;
}

/**
 * Adds what people ask first: do all nodes agree; and turns each node that
 * could not be read, and a fleet that disagrees, into a problem in words.
 *
 * @example
 * statusView(await agent.service.status('blog')).problems; // ["fleet: node-a: connect ECONNREFUSED 127.0.0.1:22"]
 */
export function statusView(s: AppStatus): StatusView {
  const problems = [...s.problems];
  const nodes = s.fleet?.nodes ?? [];
  for (const n of nodes) if (n.error) problems.push(`fleet: ${n.node}: ${n.error}`);
  if (s.fleet && !s.fleet.agreed && nodes.every((n) => !n.error) && nodes.length > 0) {
    problems.push(`fleet: nodes disagree on the live colour: ${nodes.map((n) => `${n.node} ${n.colour ?? 'none'}`).join(', ')}`);
  }
  if (s.fleet && nodes.length === 0) problems.push('fleet: no nodes discovered');
  if (s.live && s.fleet?.agreed && s.fleet.agreed !== s.live.colour) {
    problems.push(`fleet: every node marks ${s.fleet.agreed} live but the state records ${s.live.colour}`);
  }
  return { ...s, nodesAgree: Boolean(s.fleet?.agreed) && nodes.every((n) => !n.error), problems };
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
