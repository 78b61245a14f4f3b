/**
 * An `ok: false` answer of the Web API stand-in: Slack's error code, and for
 * `invalid_blocks` the `response_metadata.messages` that say what is wrong.
 */
export class SlackApiError extends Error {
  readonly error: string;
  readonly messages: string[];

  constructor(error: string, detail: string, messages: string[] = []) {
    super(detail);
    this.name = 'SlackApiError';
    this.error = error;
    this.messages = messages;
  }
}
