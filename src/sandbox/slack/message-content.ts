import { checkMessage, LIMITS } from './check-message.js';
import type { MessageContent } from './message-store.js';
import { SlackApiError } from './slack-api-error.js';
import type { SlackProblems } from './slack-problems.js';

/**
 * The text and blocks of a message an app sends (Web API or response_url),
 * checked as Slack checks them: refused with `no_text`, `invalid_blocks_format`
 * or `invalid_blocks`; accepted but recorded as a problem when the blocks
 * have no fallback text or the text is truncated.
 *
 * @example
 * const content = messageContent(args, 'chat.postMessage', problems); // throws SlackApiError('invalid_blocks', …)
 */
export function messageContent(body: Record<string, unknown>, where: string, problems: SlackProblems): MessageContent {
  const { text, blocks } = body;
  if (text !== undefined && typeof text !== 'string') throw new SlackApiError('invalid_arguments', '`text` must be a string');
  if (typeof blocks === 'string') throw new SlackApiError('invalid_blocks_format', '`blocks` is not valid JSON');
  if (blocks !== undefined && !Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format', '`blocks` must be an array');
  if (!text && (!blocks || blocks.length === 0)) throw new SlackApiError('no_text', 'neither text nor blocks were given');
  const check = checkMessage({ text, blocks });
  if (check.errors.length > 0) throw new SlackApiError('invalid_blocks', check.errors.join('; '), check.errors);
  if (check.missingFallbackText) {
    problems.record({ kind: 'fallback-text', where, detail: 'blocks without a top-level text: notifications and screen readers show nothing' });
  }
  if (check.textTooLong && text) {
    problems.record({ kind: 'block-kit', where, detail: `text of ${text.length} characters: Slack truncates it to ${LIMITS.text}` });
  }
  return {
    ...(text !== undefined ? { text: text.slice(0, LIMITS.text) } : {}),
    ...(blocks !== undefined ? { blocks } : {}),
  };
}
