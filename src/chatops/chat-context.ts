import type { Config } from '../config/schema.js';
import type { DeployService } from '../deploy/deploy-service.js';
import type { Logger } from '../log/logger.js';
import type { SlackPeople } from './slack-people.js';

/** What the Slack handlers share: the deploy service they call, who people are, and the config. */
export interface ChatContext {
  service: DeployService;
  people: SlackPeople;
  apps: Config['apps'];
  /** The slash command, e.g. "/deploy". */
  command: string;
  /** Where an app's deploy messages go. */
  channelOf: (app: string) => string;
  log: Logger;
}

/** A failure as one ephemeral line: what failed and what to do next. */
export const refusalText = (line: string): string => `:warning: ${line}`;
