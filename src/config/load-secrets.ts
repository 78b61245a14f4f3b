import { SwitchyardError } from '../errors/switchyard-error.js';
import type { Config } from './schema.js';

/** The secrets the agent needs, from its environment, never from the config file. */
export interface Secrets {
  slack?: { botToken: string; appToken?: string; signingSecret?: string };
  /** CI tokens by name; the name is the actor CI's requests are attributed to. */
  apiTokens: { name: string; token: string }[];
  /** Tokens that may only look at the dashboard (API tokens may too); the name is the viewer's in the log. */
  viewerTokens: { name: string; token: string }[];
}

export const API_TOKENS_ENV = 'SWITCHYARD_API_TOKENS';
export const VIEWER_TOKENS_ENV = 'SWITCHYARD_VIEWER_TOKENS';

const TOKEN_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** Long enough that guessing is hopeless; `openssl rand -hex 32` gives 64. */
const MIN_TOKEN_LENGTH = 24;

function required(env: NodeJS.ProcessEnv, name: string, why: string, shape: RegExp): string {
  const value = env[name];
  if (!value) throw new SwitchyardError('config-missing', `${name} is not set: ${why}`, { hint: `set ${name} in the agent's environment (see README: Slack app)` });
  if (!shape.test(value)) throw new SwitchyardError('config-invalid', `${name} does not look like ${shape.source}`, { hint: `copy ${name} again from the Slack app's settings` });
  return value;
}

/**
 * Reads the Slack tokens the config's `slack` mode needs, and the API's CI
 * tokens (`SWITCHYARD_API_TOKENS="ci:<token>,release-bot:<token>"`) and the
 * dashboard's viewer tokens (`SWITCHYARD_VIEWER_TOKENS`, the same form), naming
 * each missing or malformed variable.
 *
 * @example
 * const secrets = loadSecrets(config, process.env);
 */
export function loadSecrets(config: Config, env: NodeJS.ProcessEnv): Secrets {
  const secrets: Secrets = {
    apiTokens: parseTokens(API_TOKENS_ENV, env[API_TOKENS_ENV] ?? ''),
    viewerTokens: parseTokens(VIEWER_TOKENS_ENV, env[VIEWER_TOKENS_ENV] ?? ''),
  };
  if (config.slack) {
    const botToken = required(env, 'SLACK_BOT_TOKEN', 'the Slack app needs its bot token', /^xoxb-/);
    secrets.slack =
      config.slack.mode === 'socket'
        ? { botToken, appToken: required(env, 'SLACK_APP_TOKEN', 'Socket Mode needs an app-level token with connections:write', /^xapp-/) }
        : { botToken, signingSecret: required(env, 'SLACK_SIGNING_SECRET', 'HTTP mode checks every request against the signing secret', /^[0-9a-f]{16,}$/) };
  }
  return secrets;
}

function parseTokens(variable: string, text: string): Secrets['apiTokens'] {
  const tokens = text.split(',').map((t) => t.trim()).filter(Boolean).map((entry) => {
    const i = entry.indexOf(':');
    const name = entry.slice(0, i);
    const token = entry.slice(i + 1);
    if (i < 0 || !TOKEN_NAME.test(name)) {
      throw new SwitchyardError('config-invalid', `${variable}: each entry is <name>:<token> with a lower-case name`, { hint: `e.g. ${variable}="ci:$(openssl rand -hex 32)"` });
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      throw new SwitchyardError('config-invalid', `${variable}: the token of "${name}" is shorter than ${MIN_TOKEN_LENGTH} characters`, { hint: 'make one with: openssl rand -hex 32' });
    }
    return { name, token };
  });
  const names = new Set(tokens.map((t) => t.name));
  if (names.size !== tokens.length) throw new SwitchyardError('config-invalid', `${variable}: a token name appears twice`, { hint: 'give each CI system or viewer its own name' });
  return tokens;
}
