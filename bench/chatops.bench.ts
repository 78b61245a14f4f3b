/**
 * `chatops`: how the Slack app feels while five deploys run at once on the
 * sandbox (five apps, real nginx + sshd nodes, the stand-in cluster). The
 * agent is a `switchyard serve` process of its own, as in production; Bolt's
 * real Socket Mode receiver in it talks to the Slack stand-in here:
 * - ack: from an envelope sent (slash command or button click) to Bolt's
 *   acknowledgement coming back, as the stand-in measures it; Slack allows 3 s.
 *   The baseline: the same commands with no deploy running, in the same run,
 *   after one deploy has warmed the agent up (lazy module loading).
 * - feed lag: from a phase change written to an app's state ConfigMap in the
 *   cluster to the first Slack edit that shows that phase (or a later one),
 *   coalescing included (at most one edit per second per message).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { STATE_KEY } from '../src/cluster/app-state-store.js';
import { startSandboxEnv } from '../src/sandbox/sandbox-env.js';
import type { KubeStore } from '../src/sandbox/kube/kube-store.js';
import { startSlackStandIn, type SlackStandIn } from '../src/sandbox/slack/start-slack-stand-in.js';
import type { AppState, Phase } from '../src/state/app-state.js';
import { percentile, round } from './figures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const APPS = ['blog', 'shop', 'news', 'wiki', 'docs'];
const CHANNEL = '#deploys';
/** The order phases go in on a deploy that ends well: a message showing a later one shows that one too. */
const ORDER: Phase[] = ['pending', 'discovering', 'creating', 'waiting', 'verifying', 'switching', 'draining', 'retiring', 'done'];
/** The icon each phase's message opens with (src/chatops/deploy-message.ts). */
const ICON: Partial<Record<Phase, string>> = {
  pending: ':hourglass:', discovering: ':mag:', creating: ':building_construction:', waiting: ':hourglass_flowing_sand:', verifying: ':eyes:',
  switching: ':twisted_rightwards_arrows:', draining: ':droplet:', retiring: ':broom:', done: ':white_check_mark:',
};

export default async function* chatopsBench(): AsyncGenerator<{ name: string } & Record<string, unknown>> {
  const env = await startSandboxEnv({ nodes: 3, moreApps: APPS.slice(1), app: { drainSeconds: 0 } });
  const slack = await startSlackStandIn();
  try {
    const config = { roles: { deploy: ['U01ALICE'], approve: ['U02BOB'] } };
    // Every phase change as the cluster saw it: [deploy id, phase, when].
    const changes: { id: string; phase: Phase; at: number }[] = [];
    const seen = new Map<string, Phase>();
    const off = env.kube.store.subscribe((e) => {
      const json = (e.object.data as Record<string, string> | undefined)?.[STATE_KEY];
      if (e.resource.plural !== 'configmaps' || !json) return;
      const state = JSON.parse(json) as AppState;
      const r = state.inFlight ?? state.history[0];
      if (r && seen.get(r.id) !== r.phase) {
        seen.set(r.id, r.phase);
        changes.push({ id: r.id, phase: r.phase, at: Date.now() });
      }
    });
    const path = `${env.configPath}.chatops.yaml`;
    const written = parse(await readFile(env.configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(path, stringify({ ...written, slack: { channel: CHANNEL, apiUrl: slack.apiUrl }, roles: config.roles, api: { enabled: false } }));
    const agent = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'serve', '--config', path, '--log-level', 'silent', '--json'], {
      cwd: root,
      env: { ...process.env, ...env.env, SLACK_BOT_TOKEN: slack.workspace.botToken, SLACK_APP_TOKEN: slack.workspace.appToken },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = once(agent, 'exit');
    await until(() => slack.socket.open.length === 1 || agent.exitCode !== null);
    if (agent.exitCode !== null) throw new Error(`switchyard serve exited ${agent.exitCode} before connecting to Slack`);
    try {
      let acks: number[] = [];
      const command = async (user: string, text: string) => acks.push((await slack.slashCommand({ user, channel: CHANNEL, command: '/deploy', text })).ack.latencyMs);
      // People ask as they do: help and status (status reads every node, after its ack), a few times a second.
      let asking = true;
      const chatter = async (times = Infinity) => {
        for (let i = 0; asking && i < times; i++) {
          await command('alice', i % 2 ? 'help' : `status ${APPS[i % APPS.length]}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      // A serving agent has long loaded every module it uses: one deploy first, so the figures are not its start-up.
      await warmUp(slack, env.kube.store);
      changes.length = 0;
      const measuredFrom = Date.now();
      await chatter(40);
      const idle = acks;
      acks = [];
      await Promise.all(APPS.map((app) => command('alice', `${app} 2.0.0`)));
      const chatting = chatter();
      const promoted = new Set<string>();
      while (promoted.size < APPS.length) {
        for (const m of slack.messages(CHANNEL).slice(1)) {
          const blocks = JSON.stringify(slack.message(CHANNEL, m.ts).versions.at(-1)?.message.blocks ?? []);
          if (promoted.has(m.ts) || !blocks.includes('"action_id":"promote"')) continue;
          promoted.add(m.ts);
          acks.push((await slack.clickButton({ user: 'bob', channel: CHANNEL, ts: m.ts, actionId: 'promote' })).ack.latencyMs);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      while (!APPS.every((app) => finished(env.kube.store.find('configmaps', app, `switchyard-${app}`)?.data, '2.0.0'))) {
          await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The last edits land within a second of the last change.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      asking = false;
      await chatting;
      off();
      const lags = feedLags(changes, slack.calls().filter((c) => c.at >= measuredFrom && c.ok && (c.method === 'chat.update' || c.method === 'chat.postMessage') && !c.args.thread_ts));
      yield {
        name: 'chatops',
        deploysInFlight: APPS.length,
        acks: acks.length,
        ackMedianMs: round(percentile(acks, 50)),
        ackP99Ms: round(percentile(acks, 99)),
        ackP99IdleMs: round(percentile(idle, 99)),
        phaseChanges: lags.length,
        feedLagMedianMs: round(percentile(lags, 50)),
        feedLagP99Ms: round(percentile(lags, 99)),
        slackEdits: slack.calls('chat.update').length,
      };
    } finally {
      agent.kill('SIGTERM');
      await exited;
    }
  } finally {
    await slack.close();
    await env.close();
  }
}

/** Whether the app's last deploy, of `version`, ended done. */
function finished(data: unknown, version: string): boolean {
  const json = (data as Record<string, string> | undefined)?.[STATE_KEY];
  const s = json ? (JSON.parse(json) as AppState) : undefined;
  return s !== undefined && s.inFlight === null && s.history[0]?.phase === 'done' && s.history[0].version === version;
}

/** For each phase change, the time until the first message draw of that deploy showing it or a later phase. */
function feedLags(changes: { id: string; phase: Phase; at: number }[], draws: { args: Record<string, unknown>; at: number }[]): number[] {
  const shown = draws.map((d) => {
    const text = JSON.stringify(d.args.blocks ?? '');
    const id = /\b[a-z][a-z0-9-]*-[0-9a-f]{8}\b/.exec(text)?.[0];
    const phase = ORDER.find((p) => text.includes(`"${ICON[p]} `));
    return { id, rank: phase ? ORDER.indexOf(phase) : -1, at: d.at };
  });
  return changes.flatMap((c) => {
    const first = shown.find((s) => s.id === c.id && s.at >= c.at && s.rank >= ORDER.indexOf(c.phase));
    return first ? [first.at - c.at] : [];
  });
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One whole deploy of blog (1.1.0) through Slack, before anything is measured. */
async function warmUp(slack: SlackStandIn, store: KubeStore): Promise<void> {
  await slack.slashCommand({ user: 'alice', channel: CHANNEL, command: '/deploy', text: 'blog 1.1.0' });
  let ts: string | undefined;
  await until(() => {
    const m = slack.messages(CHANNEL)[0];
    ts = m && JSON.stringify(m.versions.at(-1)?.message.blocks ?? []).includes('"action_id":"promote"') ? m.ts : undefined;
    return ts !== undefined;
  });
  await slack.clickButton({ user: 'bob', channel: CHANNEL, ts: ts!, actionId: 'promote' });
  await until(() => finished(store.find('configmaps', 'blog', 'switchyard-blog')?.data, '1.1.0'));
}
