import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Manifest {
  features: { slash_commands: { command: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean }; socket_mode_enabled: boolean };
}

/** The Web API methods the Slack front end calls, and the bot scope each needs (Slack's method docs). */
const SCOPE_OF: Record<string, string> = {
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.delete': 'chat:write',
  'users.info': 'users:read',
  'usergroups.users.list': 'usergroups:read',
};

describe('config/slack-app-manifest.yaml', () => {
  it('creates the app the agent expects: its slash command, buttons, Socket Mode, and no scope more than it uses', async () => {
    const manifest = parse(await readFile(join(root, 'config', 'slack-app-manifest.yaml'), 'utf8')) as Manifest;
    const defaults = Config.parse({
      discovery: { static: [{ name: 'a', address: '10.0.0.1' }] },
      ssh: { user: 'deploy', privateKeyPath: 'k', knownHostsPath: 'kh' },
      slack: {},
      apps: [{ name: 'blog', namespace: 'blog', portBase: 30000 }],
    });
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual([defaults.slack!.command]);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(defaults.slack!.mode === 'socket');
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...new Set(['commands', ...Object.values(SCOPE_OF)])].sort());
  });

  it('names every Web API method the Slack front end calls', async () => {
    const dir = join(root, 'src', 'chatops');
    const sources = await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
    const called = new Set(sources.join('\n').match(/client\.(chat\.\w+|users\.info|usergroups\.users\.list)\(/g)?.map((m) => m.slice(7, -1)));
    expect([...called].sort()).toEqual(Object.keys(SCOPE_OF).sort());
  });
});
