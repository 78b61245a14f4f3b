import { isJsonObject, type JsonObject } from '../slack/json-object.js';

/** A Slack message as stored: its fallback text and its blocks. */
export interface BlockKitMessage {
  text?: string;
  blocks?: unknown[];
}

/**
 * A message as plain lines, roughly as a person reads it in Slack: section
 * text and fields (a field's label and value on one line), context, buttons
 * as `[Start] [Reject]`, links as their URLs, and mrkdwn's `*bold*`, `_italic_`
 * and `~strike~` marks dropped. Without blocks, its text is what Slack shows.
 *
 * @example
 * blockKitText({ blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Deploy of *blog*' } },
 *   { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Start' } }] }] });
 * // ['Deploy of blog', '[Start]']
 */
export function blockKitText(message: BlockKitMessage): string[] {
  if (!message.blocks || message.blocks.length === 0) return lines(mrkdwnText(message.text ?? ''));
  return message.blocks.flatMap((block) => (isJsonObject(block) ? blockLines(block) : []));
}

/** Every http(s) link in the message's blocks, in order, each once. */
export function blockKitLinks(message: BlockKitMessage): string[] {
  const urls = mrkdwnIn(message.blocks ?? []).flatMap((t) => [...t.matchAll(/<(https?:\/\/[^|>]+)[|>]/g)].map((m) => decode(m[1]!)));
  return [...new Set(urls)];
}

/** The text of every mrkdwn object, however deep. */
function mrkdwnIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(mrkdwnIn);
  if (!isJsonObject(value)) return [];
  if (value.type === 'mrkdwn' && typeof value.text === 'string') return [value.text];
  return Object.values(value).flatMap(mrkdwnIn);
}

function blockLines(block: JsonObject): string[] {
  switch (block.type) {
    case 'section': {
      const text = lines(textOf(block.text));
      const fields = Array.isArray(block.fields) ? block.fields.map((f) => lines(textOf(f)).join(': ')) : [];
      const out = [...text, ...(fields.length > 0 ? [fields.join('   ')] : [])];
      const accessory = isJsonObject(block.accessory) ? elementText(block.accessory) : '';
      if (accessory && out.length > 0) out[out.length - 1] += ` ${accessory}`;
      return accessory && out.length === 0 ? [accessory] : out;
    }
    case 'header':
      return lines(textOf(block.text));
    case 'context':
      return [elementsOf(block).map(elementText).filter(Boolean).join('  ')];
    case 'actions':
      return [elementsOf(block).map(elementText).filter(Boolean).join(' ')];
    case 'divider':
      return ['---'];
    case 'image':
      return [`[image: ${String(block.alt_text ?? '')}]`];
    default:
      return [`(${String(block.type)} block)`];
  }
}

const elementsOf = (block: JsonObject): JsonObject[] => (Array.isArray(block.elements) ? block.elements.filter(isJsonObject) : []);

/** A context element's text, or an interactive element as `[label]`. */
function elementText(e: JsonObject): string {
  if (e.type === 'mrkdwn' || e.type === 'plain_text') return textOf(e).replaceAll('\n', ' ');
  if (e.type === 'image') return `[image: ${String(e.alt_text ?? '')}]`;
  const label = textOf(e.text) || textOf(e.placeholder) || String(e.type);
  return `[${label}]`;
}

/** The words of a text object; mrkdwn made plain. */
function textOf(t: unknown): string {
  if (!isJsonObject(t) || typeof t.text !== 'string') return '';
  return t.type === 'mrkdwn' ? mrkdwnText(t.text) : t.text;
}

const lines = (text: string): string[] => (text === '' ? [] : text.split('\n'));

/**
 * mrkdwn as plain text: `<url|label>` is its URL, `<#C1|deploys>` is
 * `#deploys`, `<@U1>` is `@U1`, `<!here>` is `@here`; emphasis marks around
 * words go (never those inside a word or a link, such as `a_b_c`); `&lt;`,
 * `&gt;` and `&amp;` are decoded.
 *
 * @example
 * mrkdwnText('*Check green*: <http://10.0.0.1:30001/|http://10.0.0.1:30001/>'); // 'Check green: http://10.0.0.1:30001/'
 */
export function mrkdwnText(text: string): string {
  const specials: string[] = [];
  // Links stand aside while the marks go, so a mark around a link goes too and none inside one is touched.
  const marked = text.replace(/<([^<>]*)>/g, (_, inside: string) => `\u0000${specials.push(special(inside)) - 1}\u0000`);
  const plain = decode(EMPHASIS.reduce((t, re) => t.replace(re, '$1$2'), marked));
  return plain.replace(/\u0000(\d+)\u0000/g, (_, i: string) => specials[Number(i)]!);
}

function special(inside: string): string {
  const [target = '', label] = inside.split('|', 2);
  if (target.startsWith('#')) return label ? `#${label}` : target;
  if (target.startsWith('@')) return label ? `@${label.replace(/^@/, '')}` : target;
  if (target.startsWith('!')) return label ?? `@${target.slice(1).split('^')[0]}`;
  return decode(target);
}

const EMPHASIS = ['*', '_', '~'].map((mark) => {
  const m = mark === '*' ? '\\*' : mark;
  // Opens after a non-word character, closes before one, and never spans a line.
  return new RegExp(`(^|[^\\p{L}\\p{N}${m}])${m}(?=\\S)([^${m}\\n]*?[^${m}\\s])${m}(?=$|[^\\p{L}\\p{N}${m}])`, 'gu');
});

const decode = (text: string): string => text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
