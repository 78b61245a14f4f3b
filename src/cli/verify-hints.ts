import type { AppConfig } from '../config/schema.js';
import type { DeployEvent } from '../deploy/deploy-event.js';
import type { FleetNode } from '../discovery/fleet-node.js';
import { previewUrls } from '../deploy/wording.js';
import type { Colour } from '../validate/patterns.js';

const SHOWN = 3;

/**
 * Lines the deploy command adds when its deploy starts waiting in
 * verification: where to look, until when, and how to let it go on: from
 * another shell or Slack, since this one stays in the foreground.
 *
 * @example
 * new ProgressPrinter(say, verifyHints(app, nodes, record.toColour));
 * // "waiting for verification until 2026-01-01T14:00:00.000Z; preview: http://10.0.1.11:30001/ ..."
 * // "continue from another shell or Slack: switchyard promote blog   or   switchyard abort blog"
 */
export function verifyHints(app: AppConfig, nodes: readonly FleetNode[], toColour: Colour): (e: DeployEvent) => string[] {
  // A first deploy's colour is settled in discovering; the pods being waited for are the new colour's.
  let colour = toColour;
  return (e) => {
    if (e.type === 'pods') colour = e.colour;
    if (e.type !== 'phase' || e.to !== 'verifying') return [];
    const until = new Date(new Date(e.at).getTime() + app.verify.timeout * 1000).toISOString();
    const urls = previewUrls(app, colour, nodes);
    const more = urls.length > SHOWN ? ` (and ${urls.length - SHOWN} more)` : '';
    return [
      `waiting for verification of ${colour} until ${until}; preview: ${urls.slice(0, SHOWN).join(' ') || 'no nodes'}${more}`,
      `continue from another shell or Slack: switchyard promote ${app.name}   or   switchyard abort ${app.name}`,
    ];
  };
}
