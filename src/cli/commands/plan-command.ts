import type { DeployPlan } from '../../deploy/deploy-service.js';
import { checkAppName, checkVersion } from '../../validate/patterns.js';
import { examples, type CliCommand } from '../cli-command.js';
import { EXIT } from '../exit-codes.js';

/** A plan as numbered steps under the phase they happen in. */
export function formatPlan(p: DeployPlan): string[] {
  const fleet = p.fleet.agreed ? `all on ${p.fleet.agreed}` : 'do not agree or could not all be read';
  const lines = [`plan: deploy ${p.app} ${p.version} (nothing is touched)`, `  nodes: ${p.nodes.join(', ') || 'none'} (${fleet})`];
  for (const n of p.fleet.nodes) if (n.error) lines.push(`    ${n.node}: ${n.error}`);
  let step = 0;
  for (const s of p.steps) {
    lines.push(`  ${s.phase}${s.note ? `: ${s.note}` : ''}`);
    for (const l of s.lines) lines.push(`    ${++step}. ${l}`);
  }
  if (p.blockedBy) lines.push(`  blocked now: ${p.blockedBy}`);
  if (p.frozen) lines.push(`  frozen now: ${p.frozen.message}; a deploy needs --override-freeze "<why>" (overrideFreeze role)`);
  return lines;
}

/** `switchyard plan <app> <version>`: the steps a deploy would take, reading only. */
export const planCommand: CliCommand = (program, cli) => {
  program
    .command('plan')
    .argument('<app>', 'the app')
    .argument('<version>', 'the version (image tag) to deploy')
    .description('the steps a deploy of this version would take now, touching nothing')
    .addHelpText('after', examples('switchyard plan blog 20151025.143403', 'switchyard plan blog 20151025.143403 --json | jq ".steps[].phase"'))
    .action(
      cli.action(async (session, [app, version]) => {
        checkAppName(app!);
        checkVersion(version!);
        const { agent } = await session.appAgent(app!);
        const plan = await agent.service.plan(app!, version!);
        session.json(plan);
        session.say(formatPlan(plan).join('\n'));
        return EXIT.ok;
      }),
    );
};
