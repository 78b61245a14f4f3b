import type { types } from '@slack/bolt';
import type { DeploySnapshot } from '../deploy/deploy-feed.js';
import { isFinal, isPreSwitch, isUnwinding } from '../deploy/deploy-phases.js';
import { gateLines } from '../gate/gate-lines.js';
import { describeFreezeOverride, describeOutcome, formatActor, formatDuration } from '../deploy/wording.js';
import type { DeployRecord, Phase } from '../state/app-state.js';
import { otherColour } from '../validate/patterns.js';

/** What a button carries back: which deploy it was drawn for, so a stale click is told apart. */
export interface ButtonValue {
  app: string;
  id: string;
}

export type ButtonAction = 'start' | 'reject' | 'promote' | 'abort' | 'rollback' | 'gate-accept' | 'gate-rollback';

const ICON: Record<Phase, string> = {
  pending: ':hourglass:',
  discovering: ':mag:',
  creating: ':building_construction:',
  waiting: ':hourglass_flowing_sand:',
  verifying: ':eyes:',
  switching: ':twisted_rightwards_arrows:',
  gating: ':traffic_light:',
  draining: ':droplet:',
  retiring: ':broom:',
  done: ':white_check_mark:',
  aborted: ':no_entry_sign:',
  failed: ':x:',
  'rolled-back': ':rewind:',
  'auto-rolled-back': ':rotating_light:',
};

/** Slack reads `&`, `<` and `>` as markup: names, errors and notes are shown as written. */
const esc = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const who = (a: Parameters<typeof formatActor>[0]): string => esc(formatActor(a));

/** Slack refuses a section over 3000 characters; long errors are cut, the whole one is in the log. */
const clip = (text: string, max = 2900): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const PREVIEWS_SHOWN = 10;

/**
 * A deploy's one Slack message, drawn whole from its latest snapshot: who
 * asked, version from → to, phase, pods ready, nodes switched, the mixed
 * window, time spent per phase, preview URLs, the error and its hint, and
 * only the buttons that apply now. Pure, so any agent draws the same message.
 *
 * @example
 * const { text, blocks } = deployMessage(snapshot, new Date());
 * await client.chat.update({ channel, ts, text, blocks });
 */
export function deployMessage(s: DeploySnapshot, now: Date): { text: string; blocks: types.KnownBlock[] } {
  const r = s.record;
  // Before discovery reads the nodes, a record made with nothing recorded live does not know yet.
  const from = r.fromColour ? `${r.fromColour} ${r.fromVersion ?? '?'}` : 'nothing recorded live';
  const what = ({ deploy: 'Deploy', rollback: 'Rollback', reconcile: 'Reconcile' } as const)[r.kind];
  const title = `${ICON[r.phase]} ${what} of *${r.app}*: ${from} → *${r.toColour} ${r.version}* · ${phaseWords(r)}`;
  const blocks: types.KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(title) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: clip(whoLine(r)) }] },
  ];
  if (r.freezeOverride) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`:snowflake: ${esc(describeFreezeOverride(r.freezeOverride))}`) }] });
  const facts = progressFacts(s);
  if (facts.length > 0) blocks.push({ type: 'section', fields: facts.map((text) => ({ type: 'mrkdwn', text })) });
  const timings = phaseTimings(r, now);
  if (timings) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(timings) }] });
  if (s.previewUrls.length > 0) {
    const more = s.previewUrls.length > PREVIEWS_SHOWN ? ` and ${s.previewUrls.length - PREVIEWS_SHOWN} more` : '';
    const until = r.verifyUntil ? ` until ${r.verifyUntil.slice(11, 16)} UTC (then it is aborted)` : '';
    const links = s.previewUrls.slice(0, PREVIEWS_SHOWN).map((u) => `<${u}|${u}>`).join('  ');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Check ${r.toColour} before it takes traffic*${until}:\n${links}${more}${productionLine(s)}`) } });
  }
  const gate = gateLines(r);
  if (gate.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(esc(gate.join('\n'))) } });
  if (r.error) {
    const hint = r.error.hint ? `\n_${esc(r.error.hint)}_` : '';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`:warning: *${r.error.code}* in ${r.error.phase}: ${esc(r.error.message)}${hint}`) } });
  }
  const buttons = buttonsFor(s);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `deploy:${r.id}`, elements: buttons });
  return { text: `${what} of ${r.app} ${r.version}: ${phaseWords(r)}`, blocks };
}

/** How to preview through the production vhost: the header, and the links that set and clear the cookie. */
function productionLine(s: DeploySnapshot): string {
  const p = s.productionPreview;
  if (!p) return '';
  const links = p.link && p.off ? `, or open <${p.link}|${p.link}> (a cookie for ${formatDuration(p.cookieMaxAgeSeconds * 1000)}; <${p.off}|turn it off>)` : '';
  return `\nThrough production: send \`${esc(p.header)}\`${links}`;
}

function phaseWords(r: DeployRecord): string {
  if (isFinal(r.phase)) return esc(describeOutcome(r));
  if (r.phase === 'pending' && r.hold && !r.startedBy) return 'waiting for someone to Start it';
  if (isUnwinding(r)) return `${r.abortedBy && !r.error ? 'aborting' : 'failed'}: undoing (${r.phase})`;
  if (r.phase === 'verifying' && !r.promotedBy) return 'ready: waiting for Promote or Abort';
  if (r.phase === 'gating' && r.gate?.held) return 'gate holding: waiting for Roll back or Accept';
  if (r.phase === 'gating' && !r.gate?.rollback) return 'gate watching the new colour';
  return r.phase;
}

function whoLine(r: DeployRecord): string {
  const parts = [`asked by ${who(r.requestedBy)}`];
  if (r.commit) parts.push(`commit \`${r.commit}\``);
  if (r.startedBy) parts.push(`started by ${who(r.startedBy)}`);
  if (r.promotedBy) parts.push(`promoted by ${who(r.promotedBy)}`);
  if (r.abortedBy) parts.push(`${r.hold && !r.startedBy ? 'rejected' : 'aborted'} by ${who(r.abortedBy)}`);
  parts.push(r.id);
  return parts.join(' · ');
}

function progressFacts(s: DeploySnapshot): string[] {
  const facts: string[] = [];
  const { pods, nodes } = s.progress;
  if (pods) facts.push(`*Pods ready (${pods.colour})*\n${pods.ready}/${pods.desired}`);
  if (nodes) facts.push(`*Nodes switched to ${nodes.colour}*\n${nodes.switched}/${nodes.total}`);
  if (nodes?.mixedWindowMs !== undefined) facts.push(`*Mixed window*\n${formatDuration(nodes.mixedWindowMs)}`);
  return facts;
}

/** "creating 0.4 s · waiting 4.2 s · verifying 3m 07s so far". */
function phaseTimings(r: DeployRecord, now: Date): string | undefined {
  const spans: string[] = [];
  const changes = r.transitions.filter((t, i) => i === 0 || t.phase !== r.transitions[i - 1]!.phase);
  changes.forEach((t, i) => {
    const next = changes[i + 1];
    if (isFinal(t.phase)) return;
    const end = next ? new Date(next.at) : r.finishedAt ? new Date(r.finishedAt) : now;
    spans.push(`${t.phase} ${formatDuration(end.getTime() - new Date(t.at).getTime())}${next ? '' : ' so far'}`);
  });
  return spans.length > 1 || isFinal(r.phase) ? spans.join(' · ') : undefined;
}

const button = (action: ButtonAction, label: string, r: DeployRecord, extra: Partial<types.Button> = {}): types.Button => ({
  type: 'button',
  action_id: action,
  text: { type: 'plain_text', text: label },
  value: JSON.stringify({ app: r.app, id: r.id } satisfies ButtonValue),
  ...extra,
});

const confirm = (title: string, text: string, yes: string) => ({
  title: { type: 'plain_text' as const, text: title },
  text: { type: 'mrkdwn' as const, text: clip(text, 300) },
  confirm: { type: 'plain_text' as const, text: yes },
  deny: { type: 'plain_text' as const, text: 'Cancel' },
});

const nodeCount = (n: number): string => (n > 0 ? `${n} node${n === 1 ? '' : 's'}` : 'every node');

/** The buttons that apply to the deploy now; none once nothing can be done from here. */
function buttonsFor(s: DeploySnapshot): types.Button[] {
  const r = s.record;
  const from = `${r.fromColour ?? otherColour(r.toColour)}${r.fromVersion ? ` ${r.fromVersion}` : ''}`;
  if (isUnwinding(r)) return [];
  if (r.phase === 'pending' && r.hold && !r.startedBy) {
    return [
      button('start', 'Start', r, { style: 'primary' }),
      button('reject', 'Reject', r, { style: 'danger', confirm: confirm('Reject this deploy?', `Nothing was created; ${r.app} ${r.version} will not be deployed.`, 'Reject') }),
    ];
  }
  if (isPreSwitch(r.phase) && r.phase !== 'pending') {
    const abort = button('abort', 'Abort', r, {
      style: 'danger',
      confirm: confirm('Abort this deploy?', `Remove ${r.toColour} ${r.version} of ${r.app}; traffic stays on ${from}.`, 'Abort'),
    });
    if (r.phase !== 'verifying' || r.promotedBy || r.kind === 'rollback') return [abort];
    const promote = button('promote', 'Promote', r, {
      style: 'primary',
      confirm: confirm('Promote?', `Switch ${nodeCount(s.nodes.length)} of ${r.app} from ${from} to ${r.toColour} ${r.version}.`, 'Switch traffic'),
    });
    return [promote, abort];
  }
  if (r.phase === 'gating' && r.gate && !r.gate.rollback && !r.gate.ended) {
    return [
      button('gate-accept', 'Accept', r, { confirm: confirm('Accept now?', `End the gate window of ${r.app} ${r.version}: drain and retire ${from}.`, 'Accept') }),
      button('gate-rollback', 'Roll back', r, {
        style: 'danger',
        confirm: confirm('Roll back now?', `Switch every node of ${r.app} back to ${from} at once; ${r.toColour} ${r.version} is kept for inspection.`, 'Roll back'),
      }),
    ];
  }
  const back = s.previous && s.live && s.previous.colour !== s.live.colour && s.live.version === r.version ? s.previous : null;
  if ((r.phase === 'done' || r.phase === 'rolled-back') && back) {
    const nodes = nodeCount(r.switched?.nodes ?? 0);
    const text = `Switch ${nodes} of ${r.app} from ${r.toColour} ${r.version} back to ${back.colour} ${back.version} (re-created first if it no longer runs).`;
    return [button('rollback', 'Roll back', r, { style: 'danger', confirm: confirm('Roll back?', text, 'Roll back') })];
  }
  return [];
}
