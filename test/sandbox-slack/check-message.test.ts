import { describe, expect, it } from 'vitest';
import { checkMessage, LIMITS } from '../../src/sandbox/slack/check-message.js';

const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const button = (actionId: string, extra: Record<string, unknown> = {}) => ({ type: 'button', action_id: actionId, text: plain('Go'), ...extra });
const actions = (...elements: unknown[]) => ({ type: 'actions', elements });
const confirm = (over: Record<string, unknown> = {}) => ({ title: plain('Sure?'), text: plain('This switches traffic.'), confirm: plain('Yes'), deny: plain('No'), ...over });
const x = (n: number) => 'x'.repeat(n);

/** Each limit at the limit (accepted) and one over it (refused with a json-pointer to the field). */
describe('Block Kit limits', () => {
  it.each<[string, unknown[], string | undefined]>([
    ['50 blocks', Array.from({ length: 50 }, () => ({ type: 'divider' })), undefined],
    ['51 blocks', Array.from({ length: 51 }, () => ({ type: 'divider' })), 'no more than 50 items allowed [json-pointer:/blocks]'],
    ['section text of 3000', [{ type: 'section', text: mrkdwn(x(3000)) }], undefined],
    ['section text of 3001', [{ type: 'section', text: mrkdwn(x(3001)) }], 'must be less than 3001 characters [json-pointer:/blocks/0/text/text]'],
    ['empty section text', [{ type: 'section', text: mrkdwn('') }], 'must be more than 0 characters [json-pointer:/blocks/0/text/text]'],
    ['11 section fields', [{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('a')) }], 'no more than 10 items allowed [json-pointer:/blocks/0/fields]'],
    ['a section field of 2001', [{ type: 'section', fields: [mrkdwn(x(2001))] }], 'must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]'],
    ['header of 150', [{ type: 'header', text: plain(x(150)) }], undefined],
    ['header of 151', [{ type: 'header', text: plain(x(151)) }], 'must be less than 151 characters [json-pointer:/blocks/0/text/text]'],
    ['mrkdwn header', [{ type: 'header', text: mrkdwn('*x*') }], 'must be plain_text [json-pointer:/blocks/0/text/type]'],
    ['button text of 75', [actions(button('a', { text: plain(x(75)) }))], undefined],
    ['button text of 76', [actions(button('a', { text: plain(x(76)) }))], 'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]'],
    ['button value of 2001', [actions(button('a', { value: x(2001) }))], 'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]'],
    ['button style', [actions(button('a', { style: 'green' }))], 'must be one of primary, danger [json-pointer:/blocks/0/elements/0/style]'],
    ['action_id of 256', [actions(button(x(256)))], 'must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]'],
    ['an action_id twice in a message', [actions(button('promote')), { type: 'section', text: mrkdwn('a'), accessory: button('promote') }], 'action_id "promote" is used twice in this message [json-pointer:/blocks/1/accessory/action_id]'],
    ['a block_id twice', [{ type: 'divider', block_id: 'b' }, { type: 'divider', block_id: 'b' }], 'block_id "b" is used twice in this message [json-pointer:/blocks/1/block_id]'],
    ['25 elements in actions', [actions(...Array.from({ length: 25 }, (_, i) => button(`b${i}`)))], undefined],
    ['26 elements in actions', [actions(...Array.from({ length: 26 }, (_, i) => button(`b${i}`)))], 'no more than 25 items allowed [json-pointer:/blocks/0/elements]'],
    ['11 elements in context', [{ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('a')) }], 'no more than 10 items allowed [json-pointer:/blocks/0/elements]'],
    ['a confirm at its limits', [actions(button('a', { confirm: confirm({ title: plain(x(100)), text: plain(x(300)), confirm: plain(x(30)), deny: plain(x(30)) }) }))], undefined],
    ['confirm title of 101', [actions(button('a', { confirm: confirm({ title: plain(x(101)) }) }))], 'must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]'],
    ['confirm text of 301', [actions(button('a', { confirm: confirm({ text: mrkdwn(x(301)) }) }))], 'must be less than 301 characters [json-pointer:/blocks/0/elements/0/confirm/text/text]'],
    ['confirm button of 31', [actions(button('a', { confirm: confirm({ confirm: plain(x(31)) }) }))], 'must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/confirm/text]'],
    ['deny button of 31', [actions(button('a', { confirm: confirm({ deny: plain(x(31)) }) }))], 'must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/deny/text]'],
    ['a block type Slack does not have', [{ type: 'sectoin', text: mrkdwn('a') }], 'unsupported block type "sectoin" [json-pointer:/blocks/0/type]'],
  ])('%s', (_what, blocks, error) => {
    const check = checkMessage({ text: 'fallback', blocks });
    expect(check.errors).toEqual(error ? [`[ERROR] ${error}`] : []);
  });

  it('flags blocks without a top-level text, and text over 40 000 characters', () => {
    expect(checkMessage({ blocks: [{ type: 'divider' }] })).toEqual({ errors: [], missingFallbackText: true, textTooLong: false });
    expect(checkMessage({ text: ' ', blocks: [{ type: 'divider' }] }).missingFallbackText).toBe(true);
    expect(checkMessage({ text: x(LIMITS.text) }).textTooLong).toBe(false);
    expect(checkMessage({ text: x(LIMITS.text + 1) }).textTooLong).toBe(true);
  });
});
