/**
 * The console's only way to build HTML. Every interpolated value is escaped unless it is
 * already a SafeHtml fragment (built by this same tag), so untrusted text (rule descriptions,
 * token claims, API error messages) can never open a tag or leave an attribute.
 *
 * The tag also looks at where a value lands:
 * - inside a URL attribute (`href`, `src`, `action`, `hx-get`, …) the value must be a same-origin
 *   path or an http(s) URL; anything else (`javascript:`, `data:`, `//evil`) becomes `#`;
 * - an unquoted attribute value, an event-handler attribute (`onclick="…"`) or plain text inside
 *   a tag (`<div ${text}>`) is a programming error and throws: escaping alone cannot make
 *   those safe.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (ch) => ESCAPES[ch] ?? ch);
}

const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'hx-get', 'hx-post', 'hx-put', 'hx-patch', 'hx-delete']);

type Position = { kind: 'text' } | { kind: 'unquoted' } | { kind: 'tag' } | { kind: 'value'; attribute: string; atStart: boolean };

/** Where the next value lands, judged from the output so far (escaped values hold no `<`, `>` or quotes). */
function positionOf(out: string): Position {
  const lt = out.lastIndexOf('<');
  if (lt <= out.lastIndexOf('>')) return { kind: 'text' };
  const tag = out.slice(lt);
  let quote: string | null = null;
  let opened = -1;
  for (let i = 0; i < tag.length; i++) {
    const ch = tag[i];
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      opened = i;
    }
  }
  if (quote === null) return /=\s*$/.test(tag) ? { kind: 'unquoted' } : { kind: 'tag' };
  const attribute = /([^\s"'=<>`/]+)\s*=\s*$/.exec(tag.slice(0, opened))?.[1]?.toLowerCase() ?? '';
  return { kind: 'value', attribute, atStart: opened === tag.length - 1 };
}

/** Same-origin paths and http(s) URLs pass; every other scheme, and protocol-relative `//host`, does not. */
export function safeUrl(value: string): string {
  const trimmed = value.trim();
  if (/^\/(?![/\\])/.test(trimmed)) return trimmed;
  if (/^https?:\/\/[^\s]+$/i.test(trimmed)) return trimmed;
  if (/^[?#]/.test(trimmed)) return trimmed;
  return '#';
}

function render(value: HtmlValue, position: Position): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) {
    if (position.kind === 'value') throw new TypeError('html: an attribute value takes text, not an HTML fragment');
    return value.value;
  }
  if (Array.isArray(value)) return value.map((item: HtmlValue) => render(item, position)).join('');
  const inUrl = position.kind === 'value' && position.atStart && URL_ATTRIBUTES.has(position.attribute);
  const text = String(value);
  return escapeHtml(inUrl ? safeUrl(text) : text);
}

function isMarkupOrEmpty(value: HtmlValue): boolean {
  if (Array.isArray(value)) return value.every((item: HtmlValue) => isMarkupOrEmpty(item));
  return value instanceof SafeHtml || value === '' || value === null || value === undefined || value === false;
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    const position = positionOf(out);
    if (position.kind === 'unquoted') throw new TypeError('html: attribute values must be quoted');
    if (position.kind === 'value' && position.attribute.startsWith('on'))
      throw new TypeError('html: values may not be interpolated into event-handler attributes');
    if (position.kind === 'tag' && !isMarkupOrEmpty(values[i])) throw new TypeError('html: only html`` fragments may add attributes to a tag');
    out += render(values[i], position) + (strings[i + 1] ?? '');
  }
  return new SafeHtml(out);
}
