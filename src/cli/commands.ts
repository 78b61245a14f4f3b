import type { CliCommand } from './cli-command.js';
import { checkCommand } from './commands/check-command.js';
import { deployCommand } from './commands/deploy-command.js';
import { gateCommand } from './commands/gate-command.js';
import { historyCommand } from './commands/history-command.js';
import { abortCommand, promoteCommand } from './commands/intent-commands.js';
import { nodesCommand } from './commands/nodes-command.js';
import { planCommand } from './commands/plan-command.js';
import { reconcileCommand } from './commands/reconcile-command.js';
import { rollbackCommand } from './commands/rollback-command.js';
import { saltPillarCommand } from './commands/salt-pillar-command.js';
import { sandboxCommand } from './commands/sandbox-command.js';
import { serveCommand } from './commands/serve-command.js';
import { statusCommand } from './commands/status-command.js';

/** Every `switchyard` subcommand, in the order `--help` lists them. A new command is one more entry. */
export const COMMANDS: readonly CliCommand[] = [
  serveCommand,
  deployCommand,
  promoteCommand,
  abortCommand,
  gateCommand,
  rollbackCommand,
  statusCommand,
  historyCommand,
  planCommand,
  nodesCommand,
  checkCommand,
  reconcileCommand,
  saltPillarCommand,
  sandboxCommand,
];
