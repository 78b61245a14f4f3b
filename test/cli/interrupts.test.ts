import { describe, expect, it } from 'vitest';
import { EXIT, type ExitCode } from '../../src/cli/exit-codes.js';
import { Interrupts } from '../../src/cli/interrupts.js';

function interrupts(): { i: Interrupts; exits: ExitCode[]; stderr: () => string } {
  const exits: ExitCode[] = [];
  let stderr = '';
  const i = new Interrupts({ exit: (code) => void exits.push(code), stderr: { write: (s: string) => (stderr += s) } });
  return { i, exits, stderr: () => stderr };
}

describe('Ctrl-C and SIGTERM', () => {
  it('the first aborts the signal, the second quits at once when nothing holds it', () => {
    const { i, exits } = interrupts();
    i.interrupt();
    expect(i.signal.aborted).toBe(true);
    expect(exits).toEqual([]);
    i.interrupt();
    expect(exits).toEqual([EXIT.interrupted]);
  });

  it('a second one during a clean-up says what is being finished and waits; a third quits', () => {
    const { i, exits, stderr } = interrupts();
    const release = i.hold("removing the sandbox's nodes");
    i.interrupt();
    i.interrupt();
    expect(exits).toEqual([]);
    expect(stderr()).toBe("still removing the sandbox's nodes: wait for it to end, or press Ctrl-C again to quit now and leave it unfinished\n");
    i.interrupt();
    expect(exits).toEqual([EXIT.interrupted]);
    release();
  });

  it('names every hold under way, and once they all end a second one quits again', () => {
    const { i, exits, stderr } = interrupts();
    const a = i.hold('finishing the switch of blog-1');
    const b = i.hold('finishing the switch of blog-1');
    const c = i.hold('removing the sandbox');
    i.interrupt();
    i.interrupt();
    expect(stderr()).toMatch(/^still finishing the switch of blog-1 and removing the sandbox: /);
    a();
    b();
    c();
    i.interrupt();
    expect(exits).toEqual([EXIT.interrupted]);
  });
});
