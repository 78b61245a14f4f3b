import type { webApi } from '@slack/bolt';
import type { Clock } from '../deploy/ports.js';
import type { Actor } from '../state/app-state.js';

/** How long a name or a group's members are trusted before Slack is asked again. */
const TTL_MS = 5 * 60_000;

interface Cached<T> {
  value: T;
  at: number;
}

/**
 * Who a Slack user is: their display name (for messages and history) and
 * which of the role groups in config they belong to, each read through the
 * Web API and cached for a few minutes. A group that cannot be read counts
 * as one the user is not in (a role is never granted on an error).
 *
 * @example
 * const people = new SlackPeople(app.client, ['S02TEAM'], clock);
 * const actor = await people.actor('U01BOB');          // { via: 'slack', id: 'U01BOB', name: 'bob' }
 * const groups = await people.groupsOf('U01BOB');      // ['S02TEAM']
 */
export class SlackPeople {
  private readonly names = new Map<string, Cached<string>>();
  private readonly members = new Map<string, Cached<Set<string>>>();
  private readonly client: webApi.WebClient;
  private readonly groups: readonly string[];
  private readonly clock: Clock;
  private readonly onError: (err: unknown, what: string) => void;

  constructor(client: webApi.WebClient, groups: readonly string[], clock: Clock, onError: (err: unknown, what: string) => void) {
    this.client = client;
    this.groups = groups;
    this.clock = clock;
    this.onError = onError;
  }

  async actor(userId: string, fallbackName?: string): Promise<Actor> {
    return { via: 'slack', id: userId, name: (await this.nameOf(userId)) ?? fallbackName ?? userId };
  }

  async groupsOf(userId: string): Promise<string[]> {
    const found = await Promise.all(this.groups.map(async (g) => ((await this.membersOf(g)).has(userId) ? g : undefined)));
    return found.filter((g): g is string => g !== undefined);
  }

  private fresh<T>(c: Cached<T> | undefined): T | undefined {
    return c !== undefined && this.clock.now().getTime() - c.at < TTL_MS ? c.value : undefined;
  }

  private async nameOf(userId: string): Promise<string | undefined> {
    const cached = this.names.get(userId);
    const fresh = this.fresh(cached);
    if (fresh !== undefined) return fresh;
    try {
      const { user } = await this.client.users.info({ user: userId });
      const name = user?.profile?.display_name || user?.real_name || user?.name;
      if (name) this.names.set(userId, { value: name, at: this.clock.now().getTime() });
      return name;
    } catch (err) {
      // A stale name is better than an id in a message.
      this.onError(err, `users.info ${userId}`);
      return cached?.value;
    }
  }

  private async membersOf(group: string): Promise<Set<string>> {
    const fresh = this.fresh(this.members.get(group));
    if (fresh) return fresh;
    try {
      const { users } = await this.client.usergroups.users.list({ usergroup: group });
      const value = new Set(users ?? []);
      this.members.set(group, { value, at: this.clock.now().getTime() });
      return value;
    } catch (err) {
      this.onError(err, `usergroups.users.list ${group}`);
      return new Set();
    }
  }
}
