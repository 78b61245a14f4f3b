import { describe, expect, it } from 'vitest';
import type { LeadershipView } from '../../src/agent/leadership.js';
import { fleetNote } from '../../src/dashboard/fleet-note.js';

const view = (over: Partial<LeadershipView>): (() => LeadershipView) => () => ({ leading: false, leader: null, retryAfterSeconds: 1, ...over });

describe('fleetNote (why a dashboard shows no fleet check)', () => {
  it('the leader checks the nodes itself: no note, its pages say "not checked yet" until the first check', () => {
    expect(fleetNote(view({ leading: true, leader: { identity: 'agent-a', instance: '4f3a9c2e' } }), 60)()).toBeNull();
  });

  it('a follower names the leader, whose dashboard has the check', () => {
    expect(fleetNote(view({ leader: { identity: 'agent-a', instance: '4f3a9c2e' } }), 60)()).toBe(
      'checked by the leading agent, agent-a (process 4f3a9c2e): see its dashboard',
    );
    expect(fleetNote(view({}), 60)()).toBe('checked by the leading agent, once one is elected');
  });

  it('says so when the drift check is off, leader or not', () => {
    for (const leading of [true, false]) {
      expect(fleetNote(view({ leading }), 0)()).toMatch(/^not checked: the drift check is off \(agent\.driftCheckSeconds: 0\)/);
    }
  });

  it('follows the leadership as it changes', () => {
    let leading = false;
    const note = fleetNote(() => ({ leading, leader: { identity: 'agent-b', instance: null }, retryAfterSeconds: 1 }), 60);
    expect(note()).toBe('checked by the leading agent, agent-b: see its dashboard');
    leading = true;
    expect(note()).toBeNull();
  });
});
