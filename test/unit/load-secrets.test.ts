import { describe, expect, it } from 'vitest';
import { loadSecrets } from '../../src/config/load-secrets.js';
import { Config } from '../../src/config/schema.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';

const config = (slack?: Record<string, unknown>) =>
  Config.parse({
    discovery: { static: [{ name: 'a', address: '10.0.0.1' }] },
    ssh: { user: 'deploy', privateKeyPath: 'k', knownHostsPath: 'kh' },
    ...(slack ? { slack } : {}),
    apps: [{ name: 'blog', namespace: 'blog', portBase: 30000 }],
  });

const token = 'a'.repeat(32);

function refusal(fn: () => unknown): SwitchyardError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SwitchyardError);
    return err as SwitchyardError;
  }
  throw new Error('not refused');
}

describe('loadSecrets', () => {
  it('reads the Slack tokens the mode needs, the API tokens and the viewer tokens by name', () => {
    expect(
      loadSecrets(config({}), { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SWITCHYARD_API_TOKENS: `ci:${token}, release-bot:${token}b`, SWITCHYARD_VIEWER_TOKENS: `on-call:${token}v` }),
    ).toEqual({
      slack: { botToken: 'xoxb-1', appToken: 'xapp-1' },
      apiTokens: [{ name: 'ci', token }, { name: 'release-bot', token: `${token}b` }],
      viewerTokens: [{ name: 'on-call', token: `${token}v` }],
    });
    expect(loadSecrets(config({ mode: 'http' }), { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '0123456789abcdef0123' }).slack).toEqual({ botToken: 'xoxb-1', signingSecret: '0123456789abcdef0123' });
    expect(loadSecrets(config(), {})).toEqual({ apiTokens: [], viewerTokens: [] });
  });

  it.each([
    ['no bot token', {}, {}, 'SLACK_BOT_TOKEN is not set'],
    ['no app token in socket mode', {}, { SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_APP_TOKEN is not set'],
    ['no signing secret in http mode', { mode: 'http' }, { SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET is not set'],
    ['a user token where the bot token goes', {}, { SLACK_BOT_TOKEN: 'xoxp-1', SLACK_APP_TOKEN: 'xapp-1' }, 'SLACK_BOT_TOKEN does not look like'],
  ])('names what is missing: %s', (_, slack, env, message) => {
    expect(refusal(() => loadSecrets(config(slack), env)).message).toContain(message);
  });

  it.each([
    ['a short token', `ci:short`, 'shorter than 24 characters'],
    ['no name', token, 'each entry is <name>:<token>'],
    ['a name twice', `ci:${token},ci:${token}x`, 'a token name appears twice'],
  ])('refuses API tokens with %s, with how to make a good one', (_, value, message) => {
    const err = refusal(() => loadSecrets(config(), { SWITCHYARD_API_TOKENS: value }));
    expect(err.code).toBe('config-invalid');
    expect(err.message).toContain(message);
    expect(err.message).not.toContain(token);
  });

  it('names the viewer tokens variable when one of its entries is bad', () => {
    const err = refusal(() => loadSecrets(config(), { SWITCHYARD_VIEWER_TOKENS: 'on-call:short' }));
    expect(err.message).toBe('SWITCHYARD_VIEWER_TOKENS: the token of "on-call" is shorter than 24 characters');
  });
});
