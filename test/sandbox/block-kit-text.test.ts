import { describe, expect, it } from 'vitest';
import { deployMessage } from '../../src/chatops/deploy-message.js';
import { blockKitLinks, blockKitText, mrkdwnText } from '../../src/sandbox/demo/block-kit-text.js';
import { formatTranscript, messageTranscript } from '../../src/sandbox/demo/message-transcript.js';
import { MessageStore } from '../../src/sandbox/slack/message-store.js';
import { sandboxSlackWorkspace } from '../../src/sandbox/slack/slack-workspace.js';
import { iso, record, T0 } from '../deploy/fixtures.js';

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const plain = (text: string) => ({ type: 'plain_text', text });
const button = (label: string) => ({ type: 'button', action_id: label.toLowerCase(), text: plain(label) });

describe('mrkdwnText', () => {
  it.each([
    ['bold', 'Deploy of *blog*: *green 2.0.0*', 'Deploy of blog: green 2.0.0'],
    ['italic and strike', '_kubectl describe pod_ and ~old~', 'kubectl describe pod and old'],
    ['marks inside a word stay', 'blog_v2_final and 2*3*4', 'blog_v2_final and 2*3*4'],
    ['a mark with a space inside is no emphasis', 'a * b * c', 'a * b * c'],
    ['emphasis never spans lines', '*one\ntwo*', '*one\ntwo*'],
    ['a link is its URL', 'see <http://10.0.0.1:30001/|preview> now', 'see http://10.0.0.1:30001/ now'],
    ['a bare link', '<https://example.org/a_b_c>', 'https://example.org/a_b_c'],
    ['a link in bold', '*<http://a/|a>*', 'http://a/'],
    ['channel and user mentions', '<#C0DEPLOYS1|deploys> <@U01ALICE> <@U02BOB|bob>', '#deploys @U01ALICE @bob'],
    ['special mentions', '<!here> <!subteam^S04ONCALL|@oncall>', '@here @oncall'],
    ['entities', 'a &lt;b&gt; &amp; c', 'a <b> & c'],
    ['code and emoji stay', ':eyes: commit `3f2a9c1`', ':eyes: commit `3f2a9c1`'],
  ])('%s', (_what, text, want) => {
    expect(mrkdwnText(text)).toBe(want);
  });
});

describe('blockKitText', () => {
  it.each<[string, unknown[], string[]]>([
    ['section text, one line per line', [{ type: 'section', text: mrkdwn('*Check green*:\n<http://a/|http://a/>  <http://b/|http://b/>') }], ['Check green:', 'http://a/  http://b/']],
    ['fields: label and value on one line', [{ type: 'section', fields: [mrkdwn('*Pods ready*\n2/2'), mrkdwn('*Mixed window*\n7 ms')] }], ['Pods ready: 2/2   Mixed window: 7 ms']],
    ['text and fields', [{ type: 'section', text: plain('Status'), fields: [plain('a')] }], ['Status', 'a']],
    ['a section with a button beside it', [{ type: 'section', text: mrkdwn('Ready'), accessory: button('Promote') }], ['Ready [Promote]']],
    ['context elements on one line', [{ type: 'context', elements: [mrkdwn('asked by *ci*'), plain('blog-1'), { type: 'image', image_url: 'http://i/', alt_text: 'logo' }] }], ['asked by ci  blog-1  [image: logo]']],
    ['buttons', [{ type: 'actions', elements: [button('Start'), button('Reject')] }], ['[Start] [Reject]']],
    ['a select shows its placeholder', [{ type: 'actions', elements: [{ type: 'static_select', placeholder: plain('Pick an app'), options: [] }] }], ['[Pick an app]']],
    ['header, divider, image', [{ type: 'header', text: plain('Deploys') }, { type: 'divider' }, { type: 'image', image_url: 'http://i/', alt_text: 'graph' }], ['Deploys', '---', '[image: graph]']],
    ['a block it does not read is named', [{ type: 'rich_text', elements: [] }], ['(rich_text block)']],
  ])('%s', (_what, blocks, want) => {
    expect(blockKitText({ text: 'fallback', blocks })).toEqual(want);
  });

  it('reads the text when there are no blocks, as Slack shows it', () => {
    expect(blockKitText({ text: 'start requested (*alice* (slack))\nand more' })).toEqual(['start requested (alice (slack))', 'and more']);
    expect(blockKitText({ text: 'x', blocks: [] })).toEqual(['x']);
  });

  it('reads a deploy message as drawn for Slack: title, who, progress, timings, previews, buttons', () => {
    const r = record('verifying', { commit: 'abc1234', verifyUntil: iso(4 * 3600) });
    const snapshot = {
      revision: 1, app: 'blog', record: r, live: { colour: 'blue' as const, version: 'v1' }, previous: null,
      progress: { pods: { colour: 'green' as const, ready: 3, desired: 3 } }, previewUrls: ['http://10.0.1.11:30001/', 'http://10.0.1.12:30001/'], nodes: ['a', 'b'],
    };
    const message = deployMessage(snapshot, T0);
    const lines = blockKitText(message);
    expect(lines[0]).toBe(':eyes: Deploy of blog: blue v1 → green v2 · ready: waiting for Promote or Abort');
    expect(lines[1]).toMatch(/^asked by alice \(slack\) · commit `abc1234` · blog-/);
    expect(lines).toContain('Pods ready (green): 3/3');
    expect(lines).toContain('http://10.0.1.11:30001/  http://10.0.1.12:30001/');
    expect(lines.at(-1)).toBe('[Promote] [Abort]');
    expect(lines.join('\n')).not.toMatch(/[*<>|]/);
    expect(blockKitLinks(message)).toEqual(['http://10.0.1.11:30001/', 'http://10.0.1.12:30001/']);
  });
});

describe('blockKitLinks', () => {
  it('finds every http(s) link in mrkdwn, however deep, once each, and nothing else', () => {
    const blocks = [
      { type: 'section', text: mrkdwn('<http://a/|a> <mailto:x@y|x> <#C1|deploys> <http://a/>'), accessory: button('Go') },
      { type: 'context', elements: [mrkdwn('<https://b/?q=1&amp;r=2|b>'), plain('<http://not-a-link/>')] },
    ];
    expect(blockKitLinks({ blocks })).toEqual(['http://a/', 'https://b/?q=1&r=2']);
  });
});

describe('messageTranscript', () => {
  it('reads every version of a stored message in order, and its thread', () => {
    const store = new MessageStore(sandboxSlackWorkspace(), () => T0.getTime());
    const held = deployMessage({ revision: 1, app: 'blog', record: record('pending', { hold: true }), live: null, previous: null, progress: {}, previewUrls: [], nodes: [] }, T0);
    const m = store.post('C0DEPLOYS1', held, 'chat.postMessage');
    store.update(m, { text: 'Deploy of blog v2: aborted', blocks: [{ type: 'section', text: mrkdwn(':no_entry_sign: *aborted* by bob') }] }, 'chat.update');
    store.post('C0DEPLOYS1', { text: 'abort requested (*bob* (cli))' }, 'chat.postMessage', m.ts);

    const t = messageTranscript(m);
    expect(t.versions.map((v) => v.by)).toEqual(['chat.postMessage', 'chat.update']);
    expect(t.versions[0]!.lines.at(-1)).toBe('[Start] [Reject]');
    expect(formatTranscript(t)).toEqual([
      'version 1 (chat.postMessage):',
      ...t.versions[0]!.lines.map((l) => `  ${l}`),
      'version 2 (chat.update):',
      '  :no_entry_sign: aborted by bob',
      'thread (1 reply):',
      '  abort requested (bob (cli))',
    ]);
    expect(formatTranscript({ ...t, replies: [] }).at(-1)).toBe('thread: no replies');
  });
});
