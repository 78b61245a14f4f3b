import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { TextSink } from './cli-io.js';

/**
 * Asks a yes/no question on the terminal; only "y" or "yes" is a yes. An
 * input that ends, or an interrupt, is a no, so nothing happens by accident.
 *
 * @example
 * if (!(await confirm('Deploy blog 20151025.143403 to green?', io.stdin, io.stdout, signal))) return EXIT.failed;
 */
export function confirm(question: string, input: Readable, output: TextSink, signal: AbortSignal): Promise<boolean> {
  output.write(`${question} [y/N] `);
  return new Promise((resolve) => {
    const rl = createInterface({ input, terminal: false });
    let settled = false;
    const finish = (answer: boolean) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(answer);
    };
    const onAbort = () => finish(false);
    if (signal.aborted) return finish(false);
    signal.addEventListener('abort', onAbort, { once: true });
    rl.once('line', (line) => finish(/^\s*y(es)?\s*$/i.test(line)));
    rl.once('close', () => finish(false));
  });
}
