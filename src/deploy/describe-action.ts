import type { AppConfig } from '../config/schema.js';
import { colourPort } from '../validate/patterns.js';
import type { Action } from './decision.js';

/**
 * An action in words, for plans, logs and Slack.
 *
 * @example
 * describeAction({ kind: 'delete-colour', colour: 'blue' }, app); // "delete blog-blue and its pods"
 */
export function describeAction(a: Action, app: AppConfig): string {
  const rs = (colour: string) => `${app.name}-${colour}`;
  switch (a.kind) {
    case 'create-colour': {
      const from =
        a.from.kind === 'mirror'
          ? `a mirror of ${rs(a.from.colour)}`
          : a.from.kind === 'template'
            ? `the app's template (${app.fallbackReplicas} replicas unless it says otherwise)`
            : `the recorded template of ${a.version}`;
      return `create ${rs(a.colour)} at ${a.version} from ${from}`;
    }
    case 'wait-ready':
      return `wait until every pod of ${rs(a.colour)} is Ready (at most ${Math.round(a.timeoutMs / 1000)}s)`;
    case 'smoke':
      return `GET ${a.path} through each node's ${a.colour} NodePort ${colourPort(app.portBase, a.colour)}, expecting ${a.status}`;
    case 'await-intent':
      return `wait for promote or abort, at most until ${a.until}`;
    case 'stage':
      return `stage the switch to ${a.colour} on every node (the new file beside the live one; traffic stays on ${a.from})`;
    case 'unstage':
      return 'remove the staged upstream files from every node';
    case 'switch':
      return a.reason === 'revert' ? `put every node back on ${a.colour}` : `switch every node to ${a.colour}`;
    case 'await-ready':
      return `wait for every pod of ${rs(a.colour)} to be Ready again (until ${a.until} at most)`;
    case 'wait-drained':
      return `let requests to the old colour finish (until ${a.until} at most)`;
    case 'post-deploy': {
      const steps = [app.postDeployCommand && `run ${app.postDeployCommand}`, app.releasesDir && app.keepReleases && `keep the newest ${app.keepReleases} releases in ${app.releasesDir}`];
      return `on every node: ${steps.filter(Boolean).join(', ')}`;
    }
    case 'delete-colour':
      return `delete ${rs(a.colour)} and its pods`;
    case 'scale-colour':
      return `scale ${rs(a.colour)} to ${a.replicas} replicas`;
    case 'gate-check':
      return `read what the new colour answered since ${a.since}, at ${a.at}`;
  }
}
