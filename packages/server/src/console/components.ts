import type { FormErrors } from './form-errors.ts';
import { html, type HtmlValue, type SafeHtml } from './html.ts';

/** Form controls, tables and notices shared by the pages, all accessible by construction. */

function controlId(name: string): string {
  return `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

interface ControlOptions {
  name: string;
  label: string;
  errors: FormErrors;
  hint?: SafeHtml | string;
  required?: boolean;
  /** A lint warning about the saved value: shown, never blocking. */
  warning?: string | null;
}

/** Label, control, hint and the API's error for this field, wired with aria-describedby. */
function wrap(options: ControlOptions, control: (attrs: { id: string; describedBy: string; invalid: boolean }) => SafeHtml): SafeHtml {
  const id = controlId(options.name);
  const error = options.errors.for(options.name);
  const warning = options.warning ?? null;
  const describedBy = [options.hint ? `${id}-hint` : '', error ? `${id}-error` : '', warning ? `${id}-warning` : ''].filter(Boolean).join(' ');
  return html`<div class="field${error ? ' has-error' : ''}${warning ? ' has-warning' : ''}">
  <label for="${id}">${options.label}${options.required ? '' : html` <span class="optional">(optional)</span>`}</label>
  ${control({ id, describedBy, invalid: error !== null })}
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
  ${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : ''}
  ${warning ? html`<p class="field-warning" id="${id}-warning">${warning}</p>` : ''}
</div>`;
}

function describedBy(ids: string, invalid: boolean): SafeHtml {
  return html`${ids ? html` aria-describedby="${ids}"` : ''}${invalid ? html` aria-invalid="true"` : ''}`;
}

export function textInput(
  options: ControlOptions & { value: string; type?: 'text' | 'url' | 'number' | 'password'; placeholder?: string; autocomplete?: string; maxLength?: number },
): SafeHtml {
  return wrap(
    options,
    (a) =>
      html`<input id="${a.id}" name="${options.name}" type="${options.type ?? 'text'}" value="${options.value}"${options.placeholder ? html` placeholder="${options.placeholder}"` : ''}${options.required ? html` required` : ''} autocomplete="${options.autocomplete ?? 'off'}"${options.maxLength ? html` maxlength="${options.maxLength}"` : ''}${describedBy(a.describedBy, a.invalid)}>`,
  );
}

export function textArea(options: ControlOptions & { value: string; rows?: number; placeholder?: string; extra?: SafeHtml; code?: boolean }): SafeHtml {
  return wrap(
    options,
    (a) =>
      html`<textarea id="${a.id}" name="${options.name}" rows="${options.rows ?? 4}"${options.code ? html` class="code" spellcheck="false"` : ''}${options.placeholder ? html` placeholder="${options.placeholder}"` : ''}${options.required ? html` required` : ''}${describedBy(a.describedBy, a.invalid)}${options.extra ?? ''}>${options.value}</textarea>`,
  );
}

export interface Choice {
  value: string;
  label: string;
}

export function select(options: ControlOptions & { value: string; choices: readonly Choice[]; placeholder?: string }): SafeHtml {
  return wrap(
    options,
    (a) => html`<select id="${a.id}" name="${options.name}"${options.required ? html` required` : ''}${describedBy(a.describedBy, a.invalid)}>
  ${options.placeholder !== undefined ? html`<option value="">${options.placeholder}</option>` : ''}
  ${options.choices.map((choice) => html`<option value="${choice.value}"${choice.value === options.value ? html` selected` : ''}>${choice.label}</option>`)}
</select>`,
  );
}

export function checkbox(options: { name: string; label: string; checked: boolean; errors: FormErrors; hint?: string }): SafeHtml {
  const id = controlId(options.name);
  const error = options.errors.for(options.name);
  return html`<div class="field checkbox${error ? ' has-error' : ''}">
  <input type="hidden" name="${options.name}" value="false">
  <input id="${id}" type="checkbox" name="${options.name}" value="true"${options.checked ? html` checked` : ''}${describedBy([options.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' '), error !== null)}>
  <label for="${id}">${options.label}</label>
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
  ${error ? html`<p class="field-error" id="${id}-error">${error}</p>` : ''}
</div>`;
}

/** A POST form with its CSRF field and, at the top, the errors no field claimed. */
export function postForm(
  options: { action: string; csrfToken: string; errors: FormErrors; submitLabel: string; className?: string; id?: string },
  body: SafeHtml,
): SafeHtml {
  const general = options.errors.generalMessages;
  return html`<form method="post" action="${options.action}" class="form ${options.className ?? ''}"${options.id ? html` id="${options.id}"` : ''} novalidate>
  <input type="hidden" name="_csrf" value="${options.csrfToken}">
  ${general.length > 0 ? html`<div class="alert error" role="alert">${general.map((message) => html`<p>${message}</p>`)}</div>` : ''}
  ${body}
  <div class="form-actions"><button type="submit" class="button primary">${options.submitLabel}</button></div>
</form>`;
}

/** A one-button POST form (remove, re-enable, sign out). */
export function actionButton(options: {
  action: string;
  csrfToken: string;
  label: string;
  variant?: 'danger' | 'subtle' | 'primary';
  hidden?: Record<string, string>;
}): SafeHtml {
  return html`<form method="post" action="${options.action}" class="inline-form">
  <input type="hidden" name="_csrf" value="${options.csrfToken}">
  ${Object.entries(options.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
  <button type="submit" class="button ${options.variant ?? 'subtle'}">${options.label}</button>
</form>`;
}

export function linkButton(href: string, label: string, variant: 'primary' | 'subtle' | 'danger' = 'primary'): SafeHtml {
  return html`<a class="button ${variant}" href="${href}">${label}</a>`;
}

/** What an empty list means and the one thing to do next. */
export function emptyState(title: string, text: HtmlValue, action?: SafeHtml): SafeHtml {
  return html`<div class="empty-state"><h2>${title}</h2><p>${text}</p>${action ?? ''}</div>`;
}

export function table(headers: readonly string[], rows: readonly SafeHtml[], caption?: string): SafeHtml {
  return html`<div class="table-wrap"><table>
  ${caption ? html`<caption class="visually-hidden">${caption}</caption>` : ''}
  <thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
  <tbody>${rows}</tbody>
</table></div>`;
}

export function badge(text: string, tone: 'ok' | 'bad' | 'warn' | 'muted' | 'info'): SafeHtml {
  return html`<span class="badge ${tone}">${text}</span>`;
}

export function section(title: string, content: SafeHtml, options: { id?: string; actions?: SafeHtml } = {}): SafeHtml {
  return html`<section class="card"${options.id ? html` id="${options.id}"` : ''}>
  <div class="card-title"><h2>${title}</h2>${options.actions ?? ''}</div>
  ${content}
</section>`;
}

/** Fixed notices after a redirect (`?notice=created`): the query picks one, never supplies text. */
const NOTICES: Record<string, string> = {
  created: 'Created.',
  saved: 'Saved.',
  archived: 'Archived.',
  added: 'Added.',
  removed: 'Removed.',
  'polling-enabled': 'Polling re-enabled: the server fetches the keys again now.',
  'credential-set': 'Upstream credential saved. It is stored encrypted and never shown again.',
  'credential-removed': 'Upstream credential removed.',
};

export function notice(query: unknown): SafeHtml {
  const key = (query as { notice?: unknown } | null)?.notice;
  const text = typeof key === 'string' ? NOTICES[key] : undefined;
  return text ? html`<div class="alert ok" role="status">${text}</div>` : html``;
}

/** `2025-01-02T03:04:05.678Z` → `2025-01-02 03:04:05 UTC`, in a <time> element. */
export function timestamp(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}</time>`;
}

export function definitionList(items: ReadonlyArray<[string, HtmlValue]>): SafeHtml {
  return html`<dl class="facts">${items.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}

export function code(text: string): SafeHtml {
  return html`<code>${text}</code>`;
}
