/**
 * What the stand-ins saw that a passing test should not cause:
 * - `refused`: a Web API call Slack would answer `ok: false` (bad token, unknown message, ...);
 * - `unknown-method`: a Web API method the stand-in does not serve;
 * - `block-kit`: a message Slack would refuse (`invalid_blocks`) or change (text over 40 000 characters);
 * - `fallback-text`: blocks without a top-level `text`, which Slack needs for notifications;
 * - `response-url`: a response_url post Slack would refuse or that has no effect;
 * - `un-acked`: an envelope not acknowledged within 3 s (the person sees an error; Slack retries events);
 * - `ack-ignored`: an ack payload on an envelope that does not accept one (nobody sees it);
 * - `socket`: a Socket Mode connection or message Slack would not accept;
 * - `unexpected-request`: anything else sent to the stand-in.
 */
export type SlackProblemKind =
  | 'refused'
  | 'unknown-method'
  | 'block-kit'
  | 'fallback-text'
  | 'response-url'
  | 'un-acked'
  | 'ack-ignored'
  | 'socket'
  | 'unexpected-request';

export interface SlackProblem {
  kind: SlackProblemKind;
  /** The Web API method, envelope type or path it concerns. */
  where: string;
  /** Slack's error code, when Slack answers with one. */
  error?: string;
  detail: string;
  at: number;
}

/**
 * The stand-ins' record of problems. Tests call `assertClean()` after each
 * test; a test that causes a problem on purpose takes it with `take()` and
 * checks it, so nothing unexpected slips through.
 *
 * @example
 * afterEach(() => slack.problems.assertClean());
 * // in a test that posts an invalid message on purpose:
 * expect(slack.problems.take()).toEqual([expect.objectContaining({ kind: 'block-kit', error: 'invalid_blocks' })]);
 */
export class SlackProblems {
  private readonly list: SlackProblem[] = [];
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  record(problem: Omit<SlackProblem, 'at'>): void {
    this.list.push({ ...problem, at: this.now() });
  }

  get all(): readonly SlackProblem[] {
    return this.list;
  }

  /** Removes and returns the problems recorded so far (those matching `kind`, if given). */
  take(kind?: SlackProblemKind): SlackProblem[] {
    const taken = this.list.filter((p) => kind === undefined || p.kind === kind);
    for (const p of taken) this.list.splice(this.list.indexOf(p), 1);
    return taken;
  }

  /** Throws naming every problem recorded and not taken. */
  assertClean(): void {
    if (this.list.length === 0) return;
    const lines = this.list.map((p) => `  ${p.kind} ${p.where}${p.error ? ` (${p.error})` : ''}: ${p.detail}`);
    throw new Error(`the Slack stand-in saw ${this.list.length} unexpected thing(s):\n${lines.join('\n')}`);
  }
}
