import { INTERACTIVE_ELEMENTS } from './check-message.js';
import { isJsonObject, type JsonObject } from './json-object.js';
import { generatedId } from './slack-ids.js';

/**
 * Blocks as Slack keeps and returns them (in the message of chat.postMessage's
 * answer and of a block_actions payload): a block or interactive element that
 * came without `block_id` / `action_id` gets a generated one, plain_text gets
 * `emoji: true`, mrkdwn gets `verbatim: false`. An app that only finds its
 * buttons by ids it set itself must therefore set them.
 *
 * @example
 * storedBlocks([{ type: 'section', text: { type: 'mrkdwn', text: '*blog*' } }])
 * // [{ type: 'section', block_id: 'GhQRY', text: { type: 'mrkdwn', text: '*blog*', verbatim: false } }]
 */
export function storedBlocks(blocks: unknown[]): unknown[] {
  return blocks.map((block) => {
    if (!isJsonObject(block)) return block;
    const stored = normalise(block) as JsonObject;
    return { type: stored.type, block_id: stored.block_id ?? generatedId(), ...stored };
  });
}

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (!isJsonObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = normalise(v);
  if (value.type === 'plain_text' && typeof value.text === 'string') out.emoji ??= true;
  if (value.type === 'mrkdwn' && typeof value.text === 'string') out.verbatim ??= false;
  if (typeof value.type === 'string' && INTERACTIVE_ELEMENTS.has(value.type)) out.action_id ??= generatedId();
  return out;
}
