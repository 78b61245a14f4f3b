import { isJsonObject, type JsonObject } from './json-object.js';

/**
 * Slack's limits on a message, checked as Slack checks them when a message is
 * posted, updated or sent to a response_url. Each error reads like the
 * `response_metadata.messages` Slack returns with `invalid_blocks`:
 * `[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`.
 */
export interface MessageCheck {
  /** Non-empty: Slack answers `invalid_blocks` with these messages. */
  errors: string[];
  /** Blocks without a top-level `text`: Slack posts them, but notifications and screen readers get nothing. */
  missingFallbackText: boolean;
  /** Top-level `text` over 40 000 characters: Slack truncates it. */
  textTooLong: boolean;
}

export const LIMITS = {
  blocks: 50,
  text: 40_000,
  sectionText: 3000,
  sectionFields: 10,
  sectionField: 2000,
  header: 150,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  id: 255,
  actionsElements: 25,
  contextElements: 10,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

const BLOCK_TYPES = new Set([
  'actions', 'context', 'context_actions', 'divider', 'file', 'header', 'image', 'input', 'markdown', 'rich_text',
  'section', 'table', 'video',
]);
/** Elements a person can act on: each has an `action_id` (Slack generates one if left out). */
export const INTERACTIVE_ELEMENTS = new Set([
  'button', 'checkboxes', 'datepicker', 'datetimepicker', 'timepicker', 'overflow', 'radio_buttons', 'workflow_button',
  'static_select', 'external_select', 'users_select', 'conversations_select', 'channels_select',
  'multi_static_select', 'multi_external_select', 'multi_users_select', 'multi_conversations_select', 'multi_channels_select',
]);

/**
 * Checks a message body (`text` and `blocks`, blocks already parsed from JSON).
 *
 * @example
 * checkMessage({ text: 'Deploy blog', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }] }).errors
 * // ['[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]']
 */
export function checkMessage(message: { text?: unknown; blocks?: unknown }): MessageCheck {
  const errors: string[] = [];
  const fail = (pointer: string, what: string) => errors.push(`[ERROR] ${what} [json-pointer:${pointer}]`);
  const text = typeof message.text === 'string' ? message.text : undefined;
  const blocks = message.blocks;
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  if (blocks !== undefined && !Array.isArray(blocks)) fail('/blocks', 'must provide an array');
  if (Array.isArray(blocks)) checkBlocks(blocks, fail);
  return {
    errors,
    missingFallbackText: hasBlocks && (text === undefined || text.trim() === ''),
    textTooLong: text !== undefined && text.length > LIMITS.text,
  };
}

type Fail = (pointer: string, what: string) => void;

function checkBlocks(blocks: unknown[], fail: Fail): void {
  if (blocks.length > LIMITS.blocks) fail('/blocks', `no more than ${LIMITS.blocks} items allowed`);
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  const checkId = (seen: Set<string>, field: 'block_id' | 'action_id', value: unknown, at: string) => {
    if (value === undefined) return;
    if (typeof value !== 'string' || value.length === 0) return fail(`${at}/${field}`, 'must be a non-empty string');
    if (value.length > LIMITS.id) fail(`${at}/${field}`, `must be less than ${LIMITS.id + 1} characters`);
    // Slack asks for unique block_ids per message; action_ids need only differ within
    // a block, but a handler (and clickButton) can only tell buttons apart by action_id.
    if (seen.has(value)) fail(`${at}/${field}`, `${field} "${value}" is used twice in this message`);
    seen.add(value);
  };
  const checkElement = (element: unknown, at: string, allowed: Set<string>) => {
    if (!isJsonObject(element)) return fail(at, 'must provide an object');
    if (typeof element.type !== 'string' || !allowed.has(element.type)) {
      return fail(`${at}/type`, `unsupported element type ${JSON.stringify(element.type)}`);
    }
    if (element.type === 'image') return checkImage(element, at, fail);
    checkId(actionIds, 'action_id', element.action_id, at);
    if (element.type === 'button') checkButton(element, at, fail);
    else if (element.confirm !== undefined) checkConfirm(element.confirm, `${at}/confirm`, fail);
  };

  blocks.forEach((block, i) => {
    const at = `/blocks/${i}`;
    if (!isJsonObject(block)) return fail(at, 'must provide an object');
    if (typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type)) {
      return fail(`${at}/type`, `unsupported block type ${JSON.stringify(block.type)}`);
    }
    checkId(blockIds, 'block_id', block.block_id, at);
    switch (block.type) {
      case 'section': {
        if (block.text === undefined && block.fields === undefined) fail(at, 'must provide text or fields');
        if (block.text !== undefined) checkText(block.text, `${at}/text`, LIMITS.sectionText, fail);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields)) return fail(`${at}/fields`, 'must provide an array');
          if (block.fields.length > LIMITS.sectionFields) fail(`${at}/fields`, `no more than ${LIMITS.sectionFields} items allowed`);
          block.fields.forEach((f, j) => checkText(f, `${at}/fields/${j}`, LIMITS.sectionField, fail));
        }
        if (block.accessory !== undefined) checkElement(block.accessory, `${at}/accessory`, new Set([...INTERACTIVE_ELEMENTS, 'image']));
        return;
      }
      case 'header':
        return checkText(block.text, `${at}/text`, LIMITS.header, fail, 'plain_text');
      case 'actions':
      case 'context': {
        const max = block.type === 'actions' ? LIMITS.actionsElements : LIMITS.contextElements;
        if (!Array.isArray(block.elements) || block.elements.length === 0) return fail(`${at}/elements`, 'must provide a non-empty array');
        if (block.elements.length > max) fail(`${at}/elements`, `no more than ${max} items allowed`);
        block.elements.forEach((e, j) => {
          const where = `${at}/elements/${j}`;
          if (block.type === 'actions') return checkElement(e, where, INTERACTIVE_ELEMENTS);
          if (isJsonObject(e) && e.type === 'image') return checkImage(e, where, fail);
          return checkText(e, where, LIMITS.sectionText, fail);
        });
        return;
      }
      case 'image':
        return checkImage(block, at, fail);
      default:
        return;
    }
  });
}

function checkButton(button: JsonObject, at: string, fail: Fail): void {
  checkText(button.text, `${at}/text`, LIMITS.buttonText, fail, 'plain_text');
  if (button.value !== undefined) {
    if (typeof button.value !== 'string') fail(`${at}/value`, 'must be a string');
    else if (button.value.length > LIMITS.buttonValue) fail(`${at}/value`, `must be less than ${LIMITS.buttonValue + 1} characters`);
  }
  if (button.url !== undefined && (typeof button.url !== 'string' || button.url.length > LIMITS.url)) {
    fail(`${at}/url`, `must be a string of less than ${LIMITS.url + 1} characters`);
  }
  if (button.style !== undefined && button.style !== 'primary' && button.style !== 'danger') {
    fail(`${at}/style`, 'must be one of primary, danger');
  }
  if (button.confirm !== undefined) checkConfirm(button.confirm, `${at}/confirm`, fail);
}

function checkConfirm(confirm: unknown, at: string, fail: Fail): void {
  if (!isJsonObject(confirm)) return fail(at, 'must provide an object');
  if (confirm.title !== undefined) checkText(confirm.title, `${at}/title`, LIMITS.confirmTitle, fail, 'plain_text');
  checkText(confirm.text, `${at}/text`, LIMITS.confirmText, fail);
  if (confirm.confirm !== undefined) checkText(confirm.confirm, `${at}/confirm`, LIMITS.confirmButton, fail, 'plain_text');
  if (confirm.deny !== undefined) checkText(confirm.deny, `${at}/deny`, LIMITS.confirmButton, fail, 'plain_text');
  if (confirm.style !== undefined && confirm.style !== 'primary' && confirm.style !== 'danger') {
    fail(`${at}/style`, 'must be one of primary, danger');
  }
}

function checkImage(image: JsonObject, at: string, fail: Fail): void {
  if (typeof image.alt_text !== 'string' || image.alt_text.length === 0) fail(`${at}/alt_text`, 'missing required field: alt_text');
  if (image.image_url === undefined && image.slack_file === undefined) fail(at, 'must provide image_url or slack_file');
  if (typeof image.image_url === 'string' && image.image_url.length > LIMITS.url) {
    fail(`${at}/image_url`, `must be less than ${LIMITS.url + 1} characters`);
  }
}

function checkText(text: unknown, at: string, max: number, fail: Fail, only?: 'plain_text'): void {
  if (!isJsonObject(text)) return fail(at, 'must provide a text object');
  if (only ? text.type !== only : text.type !== 'plain_text' && text.type !== 'mrkdwn') {
    return fail(`${at}/type`, `must be ${only ?? 'one of plain_text, mrkdwn'}`);
  }
  if (typeof text.text !== 'string') return fail(`${at}/text`, 'must be a string');
  if (text.text.length === 0) fail(`${at}/text`, 'must be more than 0 characters');
  if (text.text.length > max) fail(`${at}/text`, `must be less than ${max + 1} characters`);
}
