import type { ResumeReport } from '../../deploy/deploy-service.js';
import type { RetireReport } from '../../deploy/retire-retained.js';
import { AgentServer } from '../../agent/agent-server.js';
import { loadSecrets } from '../../config/load-secrets.js';
import { examples, type CliCommand } from '../cli-command.js';
import type { CliSession } from '../cli-session.js';
import { eventOutput } from '../event-output.js';
import { EXIT } from '../exit-codes.js';

/** A resume report in words; undefined for what the events already told ('resumed'). */
function describeReport(r: ResumeReport): string | undefined {
  const id = r.deployId ? `${r.deployId} (${r.phase})` : r.app;
  switch (r.how) {
    case 'idle':
      return `${r.app}: nothing in flight`;
    case 'held-elsewhere':
      return `${id}: ${r.note ?? 'held by another agent'}`;
    case 'error':
      return `${id}: cannot resume: ${r.note ?? 'unknown error'}`;
    default:
      return undefined;
  }
}

/** A retention report in words; undefined when there is nothing to say. */
function describeRetire(r: RetireReport): string | undefined {
  const what = r.colour ? `${r.app}-${r.colour} (${r.version})` : r.app;
  switch (r.how) {
    case 'kept':
      return `${what}: kept for an instant rollback until ${r.until}`;
    case 'retired':
      return `${what}: retention window closed; retired`;
    case 'skipped':
    case 'error':
      return `${what}: not retired yet: ${r.note}`;
    default:
      return undefined;
  }
}

/**
 * Prints each app's report once per change of what it says, so a pass every
 * few seconds does not repeat "held by agent-2" forever.
 */
function changePrinter<R extends { app: string; how: string }>(
  session: CliSession,
  type: 'resume-report' | 'retire-report',
  describe: (r: R) => string | undefined,
): (reports: R[]) => void {
  const last = new Map<string, string>();
  return (reports) => {
    for (const r of reports) {
      // A resume's `done` is a promise: not part of what it says.
      const { done: _done, ...report } = r as R & { done?: unknown };
      const key = JSON.stringify(report);
      if (last.get(r.app) === key) continue;
      last.set(r.app, key);
      session.log.info({ report }, `${r.app}: ${type} ${r.how}`);
      session.json({ type, ...report });
      const line = describe(r);
      if (line) session.say(line);
    }
  };
}

/**
 * `switchyard serve`: the agent. Several may run; the one that leads runs
 * the Slack app, takes the API's writes, resumes in-flight deploys at once
 * and every half lease (picking up deploys whose holder died) and retires
 * old colours whose retention window closed. Every agent prints every event
 * and serves the API's reads; on
 * SIGINT/SIGTERM stops its runners without unwinding: their deploys stay
 * recorded in the cluster for the next agent.
 */
export const serveCommand: CliCommand = (program, cli) => {
  program
    .command('serve')
    .description('run the agent: the Slack app (with slack: in the config) and the HTTP API for CI; resume deploys in flight (now and whenever their holder dies), retire kept colours whose retention window closed, print progress, until Ctrl-C')
    .addHelpText(
      'after',
      examples('switchyard serve', 'switchyard serve --json --log-level warn') +
        '\nThe structured log goes to stderr (info level unless --log-level says otherwise).\n' +
        'Secrets come from the environment: SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) or\n' +
        'SLACK_SIGNING_SECRET (HTTP mode), and SWITCHYARD_API_TOKENS="ci:<token>,..." for the API.\n' +
        'On SIGINT or SIGTERM the agent stops; deploys it ran stay in flight for another agent to resume.\n',
    )
    .action(
      cli.action(
        async (session) => {
          const config = await session.config();
          // Missing tokens are found before anything connects.
          const secrets = loadSecrets(config, session.io.env);
          const agent = await session.agent(config, { onEvent: eventOutput(session) });
          const everyMs = (config.agent.leaseSeconds * 1000) / 2;
          const server = new AgentServer(agent, {
            log: session.log,
            clock: session.clock,
            everyMs,
            driftCheckMs: config.agent.driftCheckSeconds * 1000,
            onResume: changePrinter(session, 'resume-report', describeReport),
            onRetire: changePrinter(session, 'retire-report', describeRetire),
          });
          // Loaded here, not with the CLI: the API and the dashboard (which reads its assets as it loads) serve only `serve`.
          const { loadFrontEnds } = await import('../../agent/load-front-ends.js');
          const { api } = await loadFrontEnds(server, agent, { config, secrets, log: session.log, clock: session.clock });
          await server.start();
          if (api) session.say(`HTTP API listening on ${api.url}`);
          if (config.slack) session.say(`Slack app (${config.slack.mode === 'socket' ? 'Socket Mode' : `HTTP mode on ${config.slack.host}:${config.slack.port}`}) runs on the leading agent; deploy messages go to ${config.slack.channel} unless an app names its own channel`);
          const { leading, leader } = server.leadership.view;
          const role = leading ? `leads: resuming deploys every ${everyMs / 1000} s` : `follows ${leader?.identity ?? 'no leader yet'}: serves reads, takes over if the leader goes`;
          session.say(`agent ${agent.identity} serving ${config.apps.map((a) => a.name).join(', ')}; ${role}`);
          await new Promise<void>((resolve) => (session.signal.aborted ? resolve() : session.signal.addEventListener('abort', () => resolve(), { once: true })));
          session.say('stopping: deploys in flight stop where they are and stay recorded for the next agent');
          await server.stop();
          await session.closeAgent(agent);
          session.say('stopped');
          return EXIT.ok;
        },
        { logByDefault: true },
      ),
    );
};
