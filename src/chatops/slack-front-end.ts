import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { App, HTTPReceiver, webApi, type BlockButtonAction } from '@slack/bolt';
import type { Agent } from '../agent/create-agent.js';
import type { FrontEnd } from '../agent/agent-server.js';
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/load-secrets.js';
import type { Clock } from '../deploy/ports.js';
import { SwitchyardError } from '../errors/switchyard-error.js';
import type { Logger } from '../log/logger.js';
import { boltLogger } from './bolt-logger.js';
import { BUTTON_ACTIONS, buttonClick } from './button-click.js';
import type { ChatContext } from './chat-context.js';
import { MessageSync } from './message-sync.js';
import { SlackPeople } from './slack-people.js';
import { slashCommand } from './slash-command.js';

export interface SlackFrontEndDeps {
  config: Config & { slack: NonNullable<Config['slack']> };
  secrets: NonNullable<Secrets['slack']>;
  log: Logger;
  clock: Clock;
  /** A Web API call failed or was rate limited (for the metrics). */
  onApiError?: (method: string, error: string) => void;
}

/** Slack refuses requests older than five minutes; one signed that far in the future is refused too. */
const MAX_SKEW_SECONDS = 300;

/**
 * The Slack app as a front end of the agent: the slash command, the buttons,
 * and one message per deploy kept in step with the deploy feed. Socket Mode
 * (the agent dials out; no inbound port, right inside a VPC) or HTTP mode
 * (Bolt's HTTP receiver checks each request's signature).
 *
 * @example
 * server.loadWhileLeading(() => slackFrontEnd(agent, { config, secrets: secrets.slack, log, clock: systemClock }));
 */
export function slackFrontEnd(agent: Agent, deps: SlackFrontEndDeps): FrontEnd {
  const { config, secrets, log, clock } = deps;
  const slack = config.slack;
  const logger = boltLogger(log);
  const clientOptions = slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {};
  const receiver = slack.mode === 'http' ? new HTTPReceiver({ signingSecret: secrets.signingSecret!, logger }) : undefined;
  const app = receiver
    ? new App({ token: secrets.botToken, receiver, logger, clientOptions })
    : new App({ token: secrets.botToken, appToken: secrets.appToken!, socketMode: true, logger, clientOptions });
  // Slack's own error code, or the client's (request or HTTP failure): a small set, fit for a metric label.
  const apiError = (method: string, err: unknown) => deps.onApiError?.(method, (err as { data?: { error?: string } }).data?.error ?? (err as { code?: string }).code ?? 'unknown');
  app.client.on(webApi.WebClientEvent.RATE_LIMITED, (_retryAfter: number, { url }: { url: string }) => deps.onApiError?.(url, 'ratelimited'));

  const groups = [...new Set([...config.roles.deploy, ...config.roles.approve, ...config.roles.rollback].filter((id) => id.startsWith('S')))];
  const context: ChatContext = {
    service: agent.service,
    people: new SlackPeople(app.client, groups, clock, (err, what) => apiError(what.split(' ')[0]!, err)),
    apps: config.apps,
    command: slack.command,
    channelOf: (name) => config.apps.find((a) => a.name === name)?.channel ?? slack.channel,
    log,
  };
  app.command(slack.command, slashCommand(context));
  app.action<BlockButtonAction>(new RegExp(`^(${BUTTON_ACTIONS.join('|')})$`), buttonClick(context));
  app.error(async (err) => log.error({ err }, 'slack: a handler failed'));

  const sync = new MessageSync({
    client: app.client,
    service: agent.service,
    apps: config.apps,
    channel: slack.channel,
    clock,
    log,
    onApiError: apiError,
  });
  let unsubscribe: (() => void) | undefined;
  let server: Server | undefined;

  return {
    name: 'slack',
    async start() {
      if (receiver) server = await listen(receiver, slack.host, slack.port, clock);
      else await app.start();
      unsubscribe = agent.service.watch({}, (s) => sync.update(s));
    },
    async stop() {
      unsubscribe?.();
      await sync.close();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      else await app.stop();
    },
  };
}

/**
 * Bolt's HTTP receiver behind our own server, which first refuses a request
 * signed more than five minutes in the future: Bolt 5.1 refuses only stale
 * ones, and a request signed ahead of time could be replayed until then.
 */
function listen(receiver: HTTPReceiver, host: string, port: number, clock: Clock): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const ts = Number(req.headers['x-slack-request-timestamp']);
    if (Number.isFinite(ts) && ts - clock.now().getTime() / 1000 > MAX_SKEW_SECONDS) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('request timestamp is in the future');
      req.resume();
      return;
    }
    receiver.requestListener(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new SwitchyardError('config-invalid', `the Slack app cannot listen on ${host}:${port}: ${err.code ?? err.message}`, {
          hint: 'set slack.port to a free port, or stop what holds it',
          cause: err,
        }),
      ),
    );
    server.listen(port, host, () => resolve(server));
  });
}
