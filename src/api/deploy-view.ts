import type { DeployRecord } from '../state/app-state.js';

/** A deploy as the API shows it: its record without what is internal to the agents. */
export type DeployView = Omit<DeployRecord, 'hold' | 'idempotencyKey' | 'chat'> & {
  /** A CI deploy of an app with `requireStart`: it waits in pending until someone presses Start (startedBy). */
  held: boolean;
};

export function deployView(record: DeployRecord): DeployView {
  const { hold, idempotencyKey: _key, chat: _chat, ...shown } = record;
  return { ...shown, held: hold === true };
}

/** Where a deploy and its event stream are, under the API's base URL. */
export function deployUrls(base: string, id: string): { url: string; eventsUrl: string } {
  const url = `${base}/api/v1/deploys/${encodeURIComponent(id)}`;
  return { url, eventsUrl: `${url}/events` };
}
