/** Markup that is already safe to send: only `html` makes one, so every other string is escaped. */
export class SafeHtml {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** What may go into a `${}` of html``: text (escaped), numbers, markup made by html``, lists of those; nothing for null, undefined and false. */
export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text as HTML, safe in element content and in quoted attribute values. */
const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * A tagged template for the dashboard's pages: every interpolated value is
 * escaped unless html`` made it, so a version, a node name or an error
 * message from the cluster can never become markup. Attribute values must be
 * quoted in the template.
 *
 * @example
 * html`<td>${record.version}</td>`; // '<td>&lt;img&gt;</td>' for the version '<img>'
 * html`<ul>${nodes.map((n) => html`<li>${n}</li>`)}</ul>`;
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => (out += render(v) + strings[i + 1]!));
  return new SafeHtml(out);
}
