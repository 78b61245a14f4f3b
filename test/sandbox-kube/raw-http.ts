/**
 * Plain HTTP against the stand-in, as any client would speak to an API
 * server: for what kubectl and client-node never send (`watch=True`, a bad
 * integer, a field the kind lacks) and for headers they hide.
 */
export interface RawAnswer {
  status: number;
  headers: Headers;
  /** The JSON the server sent, which tests index into freely; undefined for any other body. */
  body: any;
  text: string;
}

export type RawRequest = RequestInit & { json?: unknown; type?: string };

export function rawApi(baseUrl: string): (path: string, init?: RawRequest) => Promise<RawAnswer> {
  return async (path, init = {}) => {
    const { json, type, ...rest } = init;
    const r = await fetch(baseUrl + path, {
      ...rest,
      ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': type ?? 'application/json', ...(rest.headers as Record<string, string> | undefined) } } : {}),
    });
    const text = await r.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: r.status, headers: r.headers, body, text };
  };
}

export interface WatchEvent {
  type: string;
  object: Record<string, any>;
}

/** Reads a watch stream until `done` says the events so far are enough (or the server ends it), then hangs up. */
export async function readWatch(url: string, done: (events: WatchEvent[]) => boolean = () => false): Promise<WatchEvent[]> {
  const ctrl = new AbortController();
  const res = await fetch(url, { signal: ctrl.signal });
  if (res.status !== 200) throw new Error(`watch ${url} answered ${res.status}: ${await res.text()}`);
  const events: WatchEvent[] = [];
  let buf = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += Buffer.from(chunk).toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (done(events)) break;
    }
  } finally {
    ctrl.abort();
  }
  return events;
}
