import type { ServerResponse } from 'node:http';
import { digestOf, type Page } from './page-layout.js';

export interface LiveStreamOptions {
  res: ServerResponse;
  /** Renders the page now, whole; `final` when it will never change again (a finished deploy). */
  render: () => Promise<{ page: Page; final: boolean }>;
  /** Subscribes to what changes the page (the feed, fleet reports); answers the unsubscribe. */
  follow: (changed: () => void) => () => void;
  /** Between renders with no change (ages move on, ReplicaSets change outside a deploy); a comment keeps proxies from closing the stream. */
  heartbeatMs: number;
  /** The open streams' ends, so the front end can end them when it stops. */
  open: Set<() => void>;
  onError: (err: unknown) => void;
}

/**
 * Streams a page as Server-Sent Events: `event: page` with the whole
 * rendering of <main> (title, HTML, digest) whenever it changed, latest-wins
 * (changes that arrive while one renders give one more render, not a
 * backlog), and `event: end` once the page is final.
 *
 * @example
 * streamPage({ res, render: () => loadPage(data, target), follow: (changed) => feed.watch({}, changed), heartbeatMs: 15_000, open, onError });
 */
export function streamPage(options: LiveStreamOptions): void {
  const { res } = options;
  let ended = false;
  let rendering = false;
  let again = false;
  let sent = '';
  const tick = setInterval(() => changed(true), options.heartbeatMs);
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(tick);
    unfollow();
    options.open.delete(end);
    res.end();
  };
  res.on('close', end);
  options.open.add(end);

  async function changed(heartbeat = false): Promise<void> {
    if (ended) return;
    if (rendering) {
      again = true;
      return;
    }
    rendering = true;
    try {
      do {
        again = false;
        const { page, final } = await options.render();
        const digest = digestOf(page.main);
        if (ended) return;
        if (digest !== sent) {
          sent = digest;
          res.write(`event: page\ndata: ${JSON.stringify({ title: page.title, html: page.main.text, digest })}\n\n`);
        } else if (heartbeat) res.write(': keep-alive\n\n');
        if (final) {
          res.write('event: end\ndata: {}\n\n');
          end();
        }
      } while (again && !ended);
    } catch (err) {
      options.onError(err);
    } finally {
      rendering = false;
    }
  }

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
  res.flushHeaders();
  const unfollow = options.follow(() => void changed());
  void changed();
}
