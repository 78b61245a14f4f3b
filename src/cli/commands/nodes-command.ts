import type { NodeCheck } from '../../agent/create-agent.js';
import { truthProblems } from '../../fleet/node-truth.js';
import { examples, type CliCommand } from '../cli-command.js';
import { EXIT } from '../exit-codes.js';

export function formatNode(n: NodeCheck): string {
  const where = `${n.address}:${n.port}`;
  const live = Object.entries(n.live).map(([app, colour]) => {
    const problems = n.truth[app] ? truthProblems(n.truth[app]) : [];
    return `${app}: ${colour ?? '?'}${problems.length > 0 ? ` — ${problems.join('; ')}` : ''}`;
  }).join('  ');
  return n.reachable ? `${n.name}  ${where}  reachable    ${live}` : `${n.name}  ${where}  unreachable  ${n.error ?? ''}`;
}

/** `switchyard nodes`: discovered nodes, reachable over SSH or why not, each app's live colour on them, and where nginx does not run it. */
export const nodesCommand: CliCommand = (program, cli) => {
  program
    .command('nodes')
    .description('discovered nodes: reachable over SSH (host key checked) or why not, and the live colour of each app on each')
    .addHelpText('after', examples('switchyard nodes', 'switchyard nodes --json | jq ".nodes[] | select(.reachable | not) | .name"'))
    .action(
      cli.action(async (session) => {
        const agent = await session.agent(await session.config());
        const nodes = await agent.checkNodes();
        session.json({ nodes });
        session.say(nodes.length === 0 ? 'no nodes discovered' : nodes.map(formatNode).join('\n'));
        return EXIT.ok;
      }),
    );
};
