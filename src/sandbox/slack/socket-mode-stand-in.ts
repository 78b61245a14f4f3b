import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { isJsonObject } from './json-object.js';
import type { SlackProblems } from './slack-problems.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

/** Why Slack asks an app to reconnect: a refresh, a warning ten seconds before one, or the app's Socket Mode turned off. */
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

export interface OutgoingEnvelope {
  type: EnvelopeType;
  payload: Record<string, unknown>;
  /** As Slack sets it by default: true for slash commands, view submissions and block suggestions. */
  acceptsResponsePayload?: boolean;
}

export interface EnvelopeAck {
  envelopeId: string;
  /** The ack's payload; undefined when the app acknowledged with nothing. */
  payload: Record<string, unknown> | undefined;
  /** From sending the envelope to reading its ack. */
  latencyMs: number;
}

export interface EnvelopeRecord {
  /** Exactly what went over the socket. */
  envelope: Record<string, unknown>;
  connection: number;
  outcome: 'pending' | 'acked' | 'un-acked';
  ack?: EnvelopeAck;
}

export interface SocketConnection {
  id: number;
  openedAt: number;
  closedAt?: number;
  /** `app`: the app closed it (a close frame); `dropped`: the stand-in cut it without one. */
  closedBy?: 'app' | 'dropped';
  /** Set once the stand-in asked the app to reconnect. */
  disconnectSent?: DisconnectReason;
}

interface Pending {
  record: EnvelopeRecord;
  sentAt: number;
  timer: NodeJS.Timeout;
  resolve(ack: EnvelopeAck): void;
  reject(err: Error): void;
}

export interface SocketModeOptions {
  appId: string;
  problems: SlackProblems;
  now(): number;
  /** Slack gives an app 3 s to acknowledge an envelope. */
  ackTimeoutMs: number;
}

const DEBUG_HOST = 'applink-standin-1';

/**
 * The Socket Mode half of the stand-in: WebSocket connections opened with a
 * one-time ticket from apps.connections.open, greeted with Slack's `hello`,
 * carrying envelopes out and acknowledgements back.
 *
 * @example
 * const ack = await socket.send({ type: 'slash_commands', payload });
 * socket.disconnect('refresh_requested');
 * await socket.nextConnection(); // Bolt reconnects (after about 5 s)
 */
export class SocketModeStandIn {
  readonly connections: SocketConnection[] = [];
  readonly envelopes: EnvelopeRecord[] = [];
  private readonly options: SocketModeOptions;
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly sockets = new Map<number, WebSocket>();
  private readonly tickets = new Set<string>();
  private readonly pending = new Map<string, Pending>();
  private waiters: ((connection: SocketConnection) => void)[] = [];

  constructor(options: SocketModeOptions) {
    this.options = options;
  }

  /** A URL for one connection, as apps.connections.open answers (`/link/?ticket=…&app_id=…`). */
  openUrl(wsBase: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${wsBase}/link/?ticket=${ticket}&app_id=${this.options.appId}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'ws://stand-in');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
      this.options.problems.record({ kind: 'socket', where: url.pathname, error: 'invalid_ticket', detail: 'a WebSocket without a fresh ticket from apps.connections.open' });
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /** Open connections, oldest first. */
  get open(): SocketConnection[] {
    return this.connections.filter((c) => c.closedAt === undefined);
  }

  /** Resolves with the next connection greeted from now on. */
  nextConnection(): Promise<SocketConnection> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Sends an envelope on the newest connection not asked to reconnect; resolves
   * with the ack, or rejects (and records `un-acked`) when none comes in time.
   */
  send(outgoing: OutgoingEnvelope): Promise<EnvelopeAck> {
    const target = [...this.open].reverse().find((c) => c.disconnectSent === undefined);
    const ws = target && this.sockets.get(target.id);
    if (!target || !ws) {
      this.options.problems.record({ kind: 'socket', where: outgoing.type, error: 'dispatch_failed', detail: 'no open Socket Mode connection to deliver to' });
      return Promise.reject(new Error(`no open Socket Mode connection for a ${outgoing.type} envelope (the person would see dispatch_failed)`));
    }
    const envelopeId = randomUUID();
    const envelope: Record<string, unknown> = {
      envelope_id: envelopeId,
      payload: outgoing.payload,
      type: outgoing.type,
      accepts_response_payload: outgoing.acceptsResponsePayload ?? acceptsResponsePayload(outgoing),
      ...(outgoing.type === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
    };
    const record: EnvelopeRecord = { envelope, connection: target.id, outcome: 'pending' };
    this.envelopes.push(record);
    return new Promise<EnvelopeAck>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(envelopeId), this.options.ackTimeoutMs);
      this.pending.set(envelopeId, { record, sentAt: performance.now(), timer, resolve, reject });
      ws.send(JSON.stringify(envelope));
    });
  }

  /** Asks every open connection to reconnect, as Slack does before recycling its server; returns how many. */
  disconnect(reason: DisconnectReason = 'refresh_requested'): number {
    const targets = this.open.filter((c) => c.disconnectSent === undefined);
    for (const c of targets) {
      c.disconnectSent = reason;
      this.sockets.get(c.id)?.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: DEBUG_HOST } }));
    }
    return targets.length;
  }

  /** Cuts every open connection without a close frame, as a network failure would; returns how many. */
  drop(): number {
    const targets = this.open;
    for (const c of targets) {
      c.closedBy = 'dropped';
      this.sockets.get(c.id)?.terminate();
    }
    return targets.length;
  }

  /**
   * Ends every pending envelope, gives apps up to `graceMs` to finish closing
   * their connections (Bolt's stop() sends its close frame without waiting for
   * the answer), then cuts the rest. Stop Bolt apps first, or they reconnect
   * to a closed server.
   */
  async close(graceMs = 1000): Promise<void> {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new Error('the Slack stand-in closed before the envelope was acknowledged'));
    }
    const deadline = performance.now() + graceMs;
    while (this.sockets.size > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const ws of this.sockets.values()) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    const connection: SocketConnection = { id: this.connections.length + 1, openedAt: this.options.now() };
    this.connections.push(connection);
    this.sockets.set(connection.id, ws);
    ws.on('message', (data, isBinary) => this.receive(connection, data, isBinary));
    ws.on('close', () => {
      connection.closedAt = this.options.now();
      connection.closedBy ??= 'app';
      this.sockets.delete(connection.id);
    });
    ws.on('error', (err) => {
      if (connection.closedBy !== 'dropped') this.options.problems.record({ kind: 'socket', where: `connection ${connection.id}`, detail: err.message });
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.open.length,
        debug_info: { host: DEBUG_HOST, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(connection);
  }

  private receive(connection: SocketConnection, data: RawData, isBinary: boolean): void {
    const where = `connection ${connection.id}`;
    let message: unknown;
    try {
      message = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      message = undefined;
    }
    const envelopeId = isJsonObject(message) ? message.envelope_id : undefined;
    if (!isJsonObject(message) || typeof envelopeId !== 'string') {
      return this.options.problems.record({ kind: 'socket', where, detail: `a message that is not an acknowledgement: ${data.toString().slice(0, 200)}` });
    }
    const pending = this.pending.get(envelopeId);
    const record = pending?.record ?? this.envelopes.find((e) => e.envelope.envelope_id === envelopeId);
    if (!record || record.outcome === 'acked') {
      return this.options.problems.record({ kind: 'socket', where, detail: `an ack for ${record ? 'an already acknowledged' : 'an unknown'} envelope ${envelopeId}` });
    }
    const payload = isJsonObject(message.payload) && Object.keys(message.payload).length > 0 ? message.payload : undefined;
    if (payload && record.envelope.accepts_response_payload !== true) {
      this.options.problems.record({
        kind: 'ack-ignored',
        where: String(record.envelope.type),
        detail: `ack payload ${JSON.stringify(payload).slice(0, 200)} on an envelope that accepts none: nobody sees it`,
      });
    }
    if (!pending) return; // acked after the deadline: already recorded as un-acked
    clearTimeout(pending.timer);
    this.pending.delete(envelopeId);
    record.outcome = 'acked';
    record.ack = { envelopeId, payload, latencyMs: performance.now() - pending.sentAt };
    pending.resolve(record.ack);
  }

  private expire(envelopeId: string): void {
    const pending = this.pending.get(envelopeId);
    if (!pending) return;
    this.pending.delete(envelopeId);
    pending.record.outcome = 'un-acked';
    const type = String(pending.record.envelope.type);
    const detail = `envelope ${envelopeId} not acknowledged within ${this.options.ackTimeoutMs} ms${type === 'events_api' ? ' (Slack would retry it)' : ' (the person sees an error)'}`;
    this.options.problems.record({ kind: 'un-acked', where: type, detail });
    pending.reject(new Error(detail));
  }
}

function acceptsResponsePayload(envelope: OutgoingEnvelope): boolean {
  if (envelope.type === 'slash_commands') return true;
  return envelope.type === 'interactive' && (envelope.payload.type === 'view_submission' || envelope.payload.type === 'block_suggestion');
}
