import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { SwitchyardError } from '../../src/errors/switchyard-error.js';

const withGate = (gate: string): string => `
discovery:
  static: [ { name: node-a, address: 10.0.1.11 } ]
ssh: { user: deploy, privateKeyPath: keys/id, knownHostsPath: keys/known_hosts }
apps:
  - { name: blog, namespace: blog, portBase: 30000, gate: ${gate} }
`;

function problems(gate: string): string {
  try {
    parseConfig(withGate(gate), 'sy.yaml');
  } catch (err) {
    return (err as SwitchyardError).message;
  }
  throw new Error('expected the config to be refused');
}

describe('gate config', () => {
  it('fills defaults: the nodes\' nginx, a minute, rolled back when unreadable', () => {
    const c = parseConfig(withGate('{}'), 'sy.yaml');
    expect(c.apps[0]!.gate).toEqual({ window: 60, checkEvery: 5, minRequests: 20, maxErrorRatio: 0.05, source: 'nginx', readBytes: 1048576, onUnreadable: 'rollback' });
  });

  it('reads durations like the rest of the config', () => {
    const c = parseConfig(withGate('{ window: 2m, checkEvery: 500ms, maxP95Seconds: 250ms }'), 'sy.yaml');
    expect(c.apps[0]!.gate).toMatchObject({ window: 120, checkEvery: 0.5, maxP95Seconds: 0.25 });
  });

  it.each([
    ['{ checkEvery: 90s, window: 60s }', 'apps[0].gate.checkEvery: at most the window (60s)'],
    ['{ source: prometheus }', 'apps[0].gate.prometheus: required with source "prometheus"'],
    ['{ prometheus: { url: "http://p:9090", requests: "x", errorRatio: "y" } }', 'apps[0].gate.prometheus: only read with source "prometheus"'],
    ['{ source: prometheus, maxP95Seconds: 1, prometheus: { url: "http://p:9090", requests: "x", errorRatio: "y" } }', 'apps[0].gate.prometheus.p95Seconds: required with maxP95Seconds'],
    ['{ maxErrorRatio: 5 }', 'apps[0].gate.maxErrorRatio'],
    ['{ onUnreadable: pass }', 'apps[0].gate.onUnreadable'],
    ['{ accessLog: "logs/x.log" }', 'apps[0].gate.accessLog: an absolute path'],
    ['{ window: 0.5 }', 'apps[0].gate.window: at least 1s'],
  ])('refuses %s', (gate, message) => {
    expect(problems(gate)).toContain(`sy.yaml: ${message}`);
  });
});
