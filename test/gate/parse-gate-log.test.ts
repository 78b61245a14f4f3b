import { describe, expect, it } from 'vitest';
import { parseGateLog } from '../../src/gate/parse-gate-log.js';

const since = new Date(1_764_483_700_000);
const parse = (text: string, cut = false) => parseGateLog(text, { node: 'node-1', port: 30001, since, cut });

describe('reading the gate log', () => {
  it('counts the new colour\'s requests since the switch, with their times', () => {
    const s = parse([
      'sy1 1764483699.999 200 "127.0.0.1:30001" "200" "0.001"', // before the switch
      'sy1 1764483700.000 200 "127.0.0.1:30001" "200" "0.002"',
      'sy1 1764483700.100 500 "127.0.0.1:30001" "500" "0.010"',
      'sy1 1764483700.200 200 "127.0.0.1:30000" "200" "0.004"', // the old colour
      '',
    ].join('\n'));
    expect(s).toEqual({ node: 'node-1', requests: 2, errors: 1, latenciesMs: [2, 10] });
  });

  it.each([
    ['IPv6 upstreams', 'sy1 1764483701.000 503 "[::1]:30001" "503" "0.000"', { requests: 1, errors: 1, latenciesMs: [0] }],
    ['a retry from the new colour to the old: the new colour\'s 502 counts',
      'sy1 1764483701.000 200 "127.0.0.1:30001, 127.0.0.1:30000" "502, 200" "0.003, 0.001"', { requests: 1, errors: 1, latenciesMs: [3] }],
    ['a retry onto the new colour', 'sy1 1764483701.000 200 "[::1]:30000, [::1]:30001" "502, 200" "0.001, 0.020"', { requests: 1, errors: 0, latenciesMs: [20] }],
    ['no answer at all ("-" time, 502)', 'sy1 1764483701.000 502 "127.0.0.1:30001" "502" "-"', { requests: 1, errors: 1, latenciesMs: [] }],
    ['an internal redirect between groups', 'sy1 1764483701.000 404 "127.0.0.1:30001 : 127.0.0.1:30001" "404 : 200" "0.001 : 0.002"', { requests: 2, errors: 0, latenciesMs: [1, 2] }],
    ['no upstream (answered by nginx itself)', 'sy1 1764483701.000 400 "-" "-" "-"', { requests: 0, errors: 0, latenciesMs: [] }],
    ['a unix socket upstream', 'sy1 1764483701.000 200 "unix:/run/app.sock" "200" "0.001"', { requests: 0, errors: 0, latenciesMs: [] }],
    ['another log format', '10.0.0.1 - - [30/Nov/2026:06:00:00 +0000] "GET / HTTP/1.1" 200 12 "-" "curl"', { requests: 0, errors: 0, latenciesMs: [] }],
    ['a line without its end', 'sy1 1764483701.000 200 "127.0.0.1:30001" "20', { requests: 0, errors: 0, latenciesMs: [] }],
    ['CRLF line ends', 'sy1 1764483701.000 200 "127.0.0.1:30001" "200" "0.005"\r\n', { requests: 1, errors: 0, latenciesMs: [5] }],
  ])('%s', (_name, line, expected) => {
    expect(parse(line)).toMatchObject(expected);
  });

  it('drops the first line of a tail that began mid-file, which may be any part of a line', () => {
    const tail = '701.000 500 "127.0.0.1:30001" "500" "0.001"\nsy1 1764483701.000 200 "127.0.0.1:30001" "200" "0.001"\n';
    expect(parse(`sy1 1764483${tail}`, true).requests).toBe(1);
    expect(parse(`sy1 1764483${tail}`, false)).toMatchObject({ requests: 2, errors: 1 });
  });
});
