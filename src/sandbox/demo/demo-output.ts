/** Where text goes: process.stdout or process.stderr, or a buffer in tests. */
export interface TextSink {
  write(chunk: string): unknown;
}

/** One step of the demo as a JSON line: `type` names the step. */
// The index signature lets a step be written inline; the plain form takes typed records such as DeployEvent.
export type DemoRecord = { type: string; [key: string]: unknown } | { readonly type: string };

/**
 * The demo's two audiences: people read lines, scripts read one JSON object
 * per line (`--json`). Each step gives both, and the output keeps the one
 * asked for; warnings always go to stderr as one line.
 *
 * @example
 * const o = new DemoOutput({ out: process.stdout, err: process.stderr, json: false });
 * o.step({ type: 'load', sent: 610, failed: 0 }, 'Load: 610 requests, 0 failed');
 */
export class DemoOutput {
  readonly json: boolean;
  private readonly out: TextSink;
  private readonly err: TextSink;

  constructor(options: { out: TextSink; err: TextSink; json: boolean }) {
    this.out = options.out;
    this.err = options.err;
    this.json = options.json;
  }

  /** A step: its record with --json, its lines otherwise. */
  step(record: DemoRecord, ...lines: string[]): void {
    if (this.json) this.out.write(`${JSON.stringify(record)}\n`);
    else for (const line of lines) this.out.write(`${line}\n`);
  }

  /** Lines for people only (headings, explanations). */
  say(...lines: string[]): void {
    if (!this.json) for (const line of lines) this.out.write(`${line}\n`);
  }

  warn(line: string): void {
    this.err.write(`${line.replace(/\s*\n\s*/g, '; ')}\n`);
  }
}
