import type { ServerResponse } from 'node:http';
import type { DeploySnapshot } from '../deploy/deploy-feed.js';
import { isFinal } from '../deploy/deploy-phases.js';
import type { DeployService } from '../deploy/deploy-service.js';
import type { CallerContext, Route } from './api-router.js';
import { deployView } from './deploy-view.js';

export interface DeployEventsDeps {
  service: DeployService;
  /**
   * Names this run of the agent in event ids (`<bootId>-<revision>`): the
   * feed's revisions count from 1 again in a new run, so a Last-Event-ID of
   * another run only means "send the current snapshot".
   */
  bootId: string;
  /** Between comment lines that keep proxies from closing a quiet stream (a verification pause lasts hours). */
  heartbeatMs: number;
  /** The open streams' ends, so the front end can end them when it stops. */
  open: Set<() => void>;
}

/**
 * GET /api/v1/deploys/:id/events: the deploy as Server-Sent Events, one whole
 * snapshot per event (latest-wins: a slow client gets the newest next, never
 * a backlog), starting with the current one. The stream ends after the
 * deploy's final snapshot, so `curl -N` follows a deploy to its end. A client
 * that reconnects with Last-Event-ID gets only newer snapshots.
 *
 * @example
 * // curl -N -H "Authorization: Bearer $TOKEN" $API/api/v1/deploys/blog-1a2b3c4d/events
 * // id: 5f0c2e9a-41
 * // data: {"app":"blog","deploy":{"id":"blog-1a2b3c4d","phase":"waiting",...},"progress":{"pods":{"colour":"green","ready":1,"desired":2}},...}
 */
export function deployEventsHandler(deps: DeployEventsDeps): Route<CallerContext> {
  return { method: 'GET', path: /^\/api\/v1\/deploys\/([^/]+)\/events$/, handle: (ctx) => stream(deps, ctx) };
}

async function stream(deps: DeployEventsDeps, { req, res, params, log }: CallerContext): Promise<void> {
  // An unknown deploy is a 404 before the stream starts.
  const { record, state } = await deps.service.find(params[0]!);
  const seen = seenRevision(req.headers['last-event-id'], deps.bootId);
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.flushHeaders();

  let ended = false;
  let unsubscribe: (() => void) | undefined;
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs);
  const finish = (endResponse: boolean) => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    unsubscribe?.();
    deps.open.delete(end);
    if (endResponse) res.end();
    log.debug({ deployId: record.id }, 'event stream ended');
  };
  const end = () => finish(true);
  res.on('close', () => finish(false));
  deps.open.add(end);

  const send = async (s: DeploySnapshot) => {
    if (ended) return;
    if (s.revision > seen) await write(res, `id: ${deps.bootId}-${s.revision}\ndata: ${JSON.stringify(eventData(s))}\n\n`);
    if (isFinal(s.record.phase)) end();
  };
  if (deps.service.feed.current({ deployId: record.id }).length === 0) {
    // Finished long enough ago that the feed no longer follows it: its record is all there is to send.
    const previous = state.previous && { colour: state.previous.colour, version: state.previous.version };
    await send({ revision: 0, app: record.app, record, live: state.live, previous, progress: {}, previewUrls: [], nodes: [] });
  }
  if (ended) return;
  const stop = deps.service.watch({ deployId: record.id }, send);
  // The current snapshot is sent before watch returns: it may have ended the stream already.
  if (ended) stop();
  else unsubscribe = stop;
}

const eventData = (s: DeploySnapshot) => ({
  app: s.app,
  deploy: deployView(s.record),
  live: s.live,
  previous: s.previous,
  progress: s.progress,
  previewUrls: s.previewUrls,
  productionPreview: s.productionPreview,
  nodes: s.nodes,
});

/** The revision a client saw last; -1 (nothing) for no Last-Event-ID, or one from another run of the agent. */
function seenRevision(lastEventId: string | string[] | undefined, bootId: string): number {
  const m = typeof lastEventId === 'string' ? /^([0-9a-f]+)-(\d+)$/.exec(lastEventId) : null;
  return m && m[1] === bootId ? Number(m[2]) : -1;
}

/** Writes one event, waiting while the client reads slowly (the feed coalesces meanwhile). */
function write(res: ServerResponse, text: string): Promise<void> {
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}
