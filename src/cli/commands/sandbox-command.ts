import { InvalidArgumentError } from 'commander';
import { examples, type CliCommand } from '../cli-command.js';

const MAX_NODES = 30;

function nodeCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_NODES) throw new InvalidArgumentError(`a whole number from 1 to ${MAX_NODES}`);
  return n;
}

/**
 * `switchyard sandbox`: the whole product on this machine, with no config:
 * stand-in cluster and EC2, real nginx + sshd nodes, a deploy, a promote and
 * a rollback of the demo app, then everything removed.
 */
export const sandboxCommand: CliCommand = (program, cli) => {
  program
    .command('sandbox')
    .description('try switchyard on this machine: real nginx + sshd nodes, a stand-in cluster, a deploy and a rollback of a demo app; removes everything when it ends')
    .option('--nodes <n>', `how many nodes (1-${MAX_NODES})`, nodeCount, 3)
    .option('--keep', 'leave the sandbox running after the deploy and rollback, with the dashboard to look at; Ctrl-C removes it')
    .addHelpText(
      'after',
      examples('sudo npm run demo', 'sudo npm run demo -- --keep', 'switchyard sandbox', 'switchyard sandbox --nodes 5', 'switchyard sandbox --json | jq -c "select(.type == \\"load\\")"') +
        '\nNeeds root (each node is a network namespace) and nginx, sshd, ssh-keygen, ip, nsenter and unshare;\n' +
        'as root on Debian it installs the missing packages itself. Ctrl-C stops it and removes everything it started.\n',
    )
    .action(
      cli.action(async (session, _args, options) => {
        // Loaded here, not at the top: the stand-in servers and the demo are no part of any other command (nor of the built image's start-up).
        const { runSandbox } = await import('../../sandbox/demo/run-sandbox.js');
        return runSandbox({ out: session.io.stdout, err: session.io.stderr, signal: session.signal, holdExit: (what) => session.holdExit(what), json: session.isJson, nodes: options.nodes as number, keep: options.keep === true });
      }),
    );
};
