import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockActionsPayload, buttonsOf, confirmationOf, findButton, type BlockActionsPayload, type ConfirmationShown, type FoundButton } from './block-actions-payload.js';
import { currentVersion, MessageStore, type SlackMessage, type StoredMessage } from './message-store.js';
import { ResponseUrls, type ResponsePost } from './response-urls.js';
import { sendJson } from './send-json.js';
import { slashCommandPayload, type SlashCommandInput, type SlashCommandPayload } from './slash-command-payload.js';
import { SlackProblems, type SlackProblem, type SlackProblemKind } from './slack-problems.js';
import { channelMembers, findChannel, findUser, sandboxSlackWorkspace, type SlackChannel, type SlackUser, type SlackWorkspace } from './slack-workspace.js';
import { SocketModeStandIn, type EnvelopeAck } from './socket-mode-stand-in.js';
import { WebApi, type WebApiCall } from './web-api.js';
import { readRequestBody } from '../read-request-body.js';

export interface SlackStandInOptions {
  workspace?: SlackWorkspace;
  /** How long an envelope may wait for its ack (Slack: 3 s). */
  ackTimeoutMs?: number;
  /** Milliseconds since the epoch, for message timestamps and response_url lifetimes. */
  now?: () => number;
}

/** A person clicks a button of a message. `user` and `channel` are ids or names. */
export interface ButtonClickInput {
  user: string;
  channel: string;
  /** The message's ts (the ephemeral message's `message_ts` for an ephemeral one). */
  ts: string;
  actionId: string;
}

/** A click on a button that is no longer in the message (an old version, or a deleted message). */
export interface StaleClickInput extends ButtonClickInput {
  /** Which version the person still sees (index into `versions`); default: the newest one with the button. */
  version?: number;
}

export interface ButtonClick {
  payload: BlockActionsPayload;
  /** The button's confirmation dialog: Slack sends the click only after the person confirmed it. */
  confirmation?: ConfirmationShown;
}

export interface SlashCommandResult {
  payload: SlashCommandPayload;
  ack: EnvelopeAck;
  /** What Slack showed for the ack's payload (the command's first response), if it had one. */
  response?: ResponsePost;
}

export interface ButtonClickResult extends ButtonClick {
  ack: EnvelopeAck;
}

export interface SlackStandIn {
  /** Give it to Bolt as `clientOptions.slackApiUrl` (`http://127.0.0.1:<port>/api/`). */
  apiUrl: string;
  workspace: SlackWorkspace;
  /** Socket Mode: connections, envelopes and acks, `send`, `disconnect`, `drop`. */
  socket: SocketModeStandIn;
  /** Every Web API call, in order (those of one method when given). */
  calls(method?: string): WebApiCall[];
  /** The next `times` calls of `method` answer HTTP 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit(method: string, options?: { times?: number; retryAfterSeconds?: number }): void;
  /** Top-level messages of a channel (id or name), oldest first, with their versions and replies. */
  messages(channel: string): StoredMessage[];
  /** One message (or thread reply) with its versions and replies; throws if there is none. */
  message(channel: string, ts: string): StoredMessage;
  ephemerals(user?: string): StoredMessage[];
  /** Posts to response_urls and slash commands' ack payloads, in order. */
  responses(): ResponsePost[];
  /** Confirmation dialogs people saw before their clicks went out. */
  readonly confirmations: readonly ConfirmationShown[];
  /** What went wrong and was not taken: a passing test leaves none. */
  readonly unexpected: readonly SlackProblem[];
  /** Removes and returns what went wrong (of one kind), for a test that caused it on purpose. */
  takeUnexpected(kind?: SlackProblemKind): SlackProblem[];
  /** Throws naming every unexpected call, limit violation, un-acked envelope or bad ack not taken. */
  assertClean(): void;
  /** The payload of a slash command, with a live response_url (for an HTTP receiver). */
  slashCommandPayload(input: SlashCommandInput): SlashCommandPayload;
  /** The payload of a click on a button that is in the message now (for an HTTP receiver). */
  buttonClick(input: ButtonClickInput): ButtonClick;
  /** The payload of a click on a button the message no longer has. */
  staleClick(input: StaleClickInput): ButtonClick;
  /** A person runs a slash command: sent over Socket Mode, resolved with the ack. */
  slashCommand(input: SlashCommandInput): Promise<SlashCommandResult>;
  /** A person clicks a button that is in the stored message now: sent over Socket Mode. */
  clickButton(input: ButtonClickInput): Promise<ButtonClickResult>;
  /** A person clicks a button from an old version of the message (their Slack had not refreshed). */
  clickStale(input: StaleClickInput): Promise<ButtonClickResult>;
  /** Closes connections and the server. Stop Bolt apps first: they reconnect to a lost server. */
  close(): Promise<void>;
}


interface Seen {
  user: SlackUser;
  channel: SlackChannel;
  stored: StoredMessage;
  isEphemeral: boolean;
}

/**
 * Starts a stand-in for Slack on 127.0.0.1 (ephemeral port) that Bolt's real
 * receivers and Web API client talk to: the Web API, Socket Mode (WebSocket,
 * same port) and response_urls, strict about tokens and Block Kit limits, and
 * the actions of people in the workspace (slash commands, button clicks).
 *
 * @example
 * const slack = await startSlackStandIn();
 * const app = new App({ token: slack.workspace.botToken, appToken: slack.workspace.appToken, socketMode: true,
 *   clientOptions: { slackApiUrl: slack.apiUrl } });
 * await app.start();
 * const { ack } = await slack.slashCommand({ user: 'alice', channel: '#deploys', command: '/deploy', text: 'blog 2.0.0' });
 * const [message] = slack.messages('#deploys');
 * await slack.clickButton({ user: 'bob', channel: '#deploys', ts: message.ts, actionId: 'promote' });
 * slack.assertClean();
 * await app.stop();
 * await slack.close();
 */
export async function startSlackStandIn(options: SlackStandInOptions = {}): Promise<SlackStandIn> {
  const workspace = options.workspace ?? sandboxSlackWorkspace();
  const now = options.now ?? Date.now;
  const problems = new SlackProblems(now);
  const store = new MessageStore(workspace, now);
  const socket = new SocketModeStandIn({ appId: workspace.appId, problems, now, ackTimeoutMs: options.ackTimeoutMs ?? 3000 });
  let base = '';
  const responseUrls = new ResponseUrls({ workspace, store, problems, now }, () => base);
  const webApi = new WebApi({ workspace, store, problems, now, openSocketUrl: () => socket.openUrl(base.replace(/^http/, 'ws')) });
  const confirmations: ConfirmationShown[] = [];

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
    readRequestBody(req)
      .then((body) => {
        const method = /^\/api\/([A-Za-z.]+)$/.exec(path)?.[1];
        if (req.method === 'POST' && method) return webApi.handle(req, res, method, body);
        if (req.method === 'POST' && responseUrls.isResponsePath(path)) return responseUrls.handle(res, path, body);
        problems.record({ kind: 'unexpected-request', where: `${req.method} ${path}`, detail: 'not a Web API method, response_url or Socket Mode link' });
        sendJson(res, 404, { ok: false, error: 'not_found' });
      })
      .catch((err: unknown) => {
        problems.record({ kind: 'unexpected-request', where: `${req.method} ${path}`, detail: `the stand-in failed: ${String(err)}` });
        if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' });
      });
  });
  server.on('upgrade', (req, duplex, head) => socket.handleUpgrade(req, duplex, head));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function person(idOrName: string) {
    const user = findUser(workspace, idOrName);
    if (!user) throw new Error(`no person ${idOrName} in the stand-in workspace`);
    return user;
  }

  function channelOf(idOrName: string) {
    const channel = findChannel(workspace, idOrName);
    if (!channel) throw new Error(`no channel ${idOrName} in the stand-in workspace`);
    return channel;
  }

  /** The message a person sees at `ts`: a channel message, or an ephemeral one shown to them. */
  function seen(input: ButtonClickInput, deleted: boolean): Seen {
    const user = person(input.user);
    const channel = channelOf(input.channel);
    if (!channelMembers(workspace, channel).includes(user.id)) throw new Error(`${user.name} is not in #${channel.name} and cannot see its messages`);
    const inChannel = store.find(channel.id, input.ts, { deleted });
    if (inChannel) return { user, channel, stored: inChannel, isEphemeral: false };
    const ephemeral = store.findEphemeral(channel.id, input.ts, { deleted });
    if (ephemeral && ephemeral.ephemeralTo === user.id) return { user, channel, stored: ephemeral, isEphemeral: true };
    throw new Error(`${user.name} sees no message ${input.ts} in #${channel.name}${ephemeral ? ' (it is ephemeral, shown to someone else)' : ''}`);
  }

  function click({ user, channel, stored, isEphemeral }: Seen, message: SlackMessage, found: FoundButton): ButtonClick {
    const confirmation = confirmationOf(found);
    if (confirmation) confirmations.push(confirmation);
    const responseUrl = responseUrls.issue({ kind: 'actions', channel: channel.id, user: user.id, message: stored });
    const payload = blockActionsPayload({ workspace, user, channel, message, isEphemeral, found, responseUrl, nowMs: now() });
    return { payload, ...(confirmation ? { confirmation } : {}) };
  }

  const standIn: SlackStandIn = {
    apiUrl: `${base}/api/`,
    workspace,
    socket,
    calls: (method) => webApi.calls.filter((c) => method === undefined || c.method === method),
    rateLimit: (method, { times = 1, retryAfterSeconds = 1 } = {}) => webApi.rateLimit(method, times, retryAfterSeconds),
    messages: (channel) => store.messages(channelOf(channel).id),
    message(channel, ts) {
      const id = channelOf(channel).id;
      const found = store.find(id, ts, { deleted: true }) ?? store.findEphemeral(id, ts, { deleted: true });
      if (!found) throw new Error(`no message ${ts} in ${channel}`);
      return found;
    },
    ephemerals: (user) => store.ephemerals(user === undefined ? undefined : person(user).id),
    responses: () => [...responseUrls.posts],
    confirmations,
    get unexpected() {
      return problems.all;
    },
    takeUnexpected: (kind) => problems.take(kind),
    assertClean: () => problems.assertClean(),

    slashCommandPayload: (input) =>
      slashCommandPayload(workspace, input, (origin) => responseUrls.issue({ kind: 'commands', ...origin })),

    buttonClick(input) {
      const sight = seen(input, false);
      const { stored } = sight;
      const message = currentVersion(stored);
      const found = findButton(message.blocks, input.actionId);
      if (!found) {
        const earlier = stored.versions.findIndex((v) => findButton(v.message.blocks, input.actionId));
        const buttons = buttonsOf(message.blocks).map((b) => String(b.button.action_id));
        throw new Error(
          `message ${input.ts} has no button ${input.actionId} now (its buttons: ${buttons.join(', ') || 'none'})` +
            (earlier >= 0 ? `; version ${earlier} had it: use clickStale to replay it` : ''),
        );
      }
      return click(sight, message, found);
    },

    staleClick(input) {
      const sight = seen(input, true);
      const { stored } = sight;
      if (!stored.deleted && findButton(currentVersion(stored).blocks, input.actionId)) {
        throw new Error(`message ${input.ts} still has button ${input.actionId}: use clickButton`);
      }
      const index =
        input.version ?? stored.versions.findLastIndex((v) => findButton(v.message.blocks, input.actionId) !== undefined);
      const version = stored.versions[index];
      const found = version && findButton(version.message.blocks, input.actionId);
      if (!version || !found) throw new Error(`no version of message ${input.ts} had button ${input.actionId}`);
      return click(sight, version.message, found);
    },

    async slashCommand(input) {
      const payload = standIn.slashCommandPayload(input);
      const ack = await socket.send({ type: 'slash_commands', payload });
      const response = ack.payload ? responseUrls.acknowledged(payload.response_url, ack.payload) : undefined;
      return { payload, ack, ...(response ? { response } : {}) };
    },

    async clickButton(input) {
      const clicked = standIn.buttonClick(input);
      return { ...clicked, ack: await socket.send({ type: 'interactive', payload: clicked.payload }) };
    },

    async clickStale(input) {
      const clicked = standIn.staleClick(input);
      return { ...clicked, ack: await socket.send({ type: 'interactive', payload: clicked.payload }) };
    },

    async close() {
      await socket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
  return standIn;
}
