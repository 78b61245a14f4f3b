import type { Colour } from '../validate/patterns.js';
import type { FleetView } from './ports.js';

/** What a person should know about the fleet, in words, for every front end's status. */
export function fleetProblems(fleet: FleetView, recorded: Colour | null): string[] {
  const { nodes, agreed } = fleet;
  if (nodes.length === 0) return ['fleet: no nodes discovered'];
  const problems = nodes.flatMap((n) => (n.error ? [`fleet: ${n.node}: ${n.error}`] : []));
  if (!agreed && problems.length === 0) {
    problems.push(`fleet: nodes disagree on the live colour: ${nodes.map((n) => `${n.node} ${n.colour ?? 'none'}`).join(', ')}`);
  }
  if (agreed && recorded && agreed !== recorded) problems.push(`fleet: every node marks ${agreed} live but the state records ${recorded}`);
  return problems;
}
