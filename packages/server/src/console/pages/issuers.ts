import type { FastifyInstance, FastifyReply } from 'fastify';
import { segment } from '../admin-api.ts';
import { actionButton, badge, definitionList, emptyState, linkButton, notice, section, table, timestamp } from '../components.ts';
import { contextOf, redirect, type ConsoleContext } from '../context.ts';
import { FormErrors } from '../form-errors.ts';
import { html, type SafeHtml } from '../html.ts';
import type { CursorList, IssuerWire, RuleWire } from '../wire.ts';
import { confirmArchive } from './confirm.ts';
import { EMPTY_ISSUER, ISSUER_FIELDS, issuerBody, issuerForm, issuerValues, readIssuerForm, type IssuerFormValues } from './issuer-form.ts';
import { cursorParam, renderPage } from './shared.ts';

const BASE = '/v1/organizations/federation_issuers';
const POLL_REFRESH = 'every 10s';

const KEY_SOURCE: Record<IssuerWire['jwks']['type'], string> = { discovery: 'OIDC discovery', explicit_url: 'JWKS URL', inline: 'Inline keys' };

export function keyHealth(issuer: IssuerWire): SafeHtml {
  if (issuer.jwks.type === 'inline') return badge('inline keys', 'muted');
  if (issuer.jwks_polling_disabled_at) return badge('polling paused', 'bad');
  const status = issuer.poll_status;
  if (!status || status.last_fetched_at === null)
    return status && status.consecutive_failures > 0 ? badge(`failing (${status.consecutive_failures})`, 'bad') : badge('not fetched yet', 'info');
  if (status.consecutive_failures > 0) return badge(`failing (${status.consecutive_failures})`, 'warn');
  return badge('keys fresh', 'ok');
}

/** The live key-polling panel; it refreshes itself while the page is open. */
function pollPanel(ctx: ConsoleContext, issuer: IssuerWire): SafeHtml {
  const url = `/console/issuers/${segment(issuer.id)}/poll-status`;
  if (issuer.jwks.type === 'inline') {
    return html`<div id="poll-status"><p>Keys are configured inline, so nothing is fetched. Replace them by editing the issuer.</p></div>`;
  }
  const status = issuer.poll_status;
  const paused = issuer.jwks_polling_disabled_at !== null;
  return html`<div id="poll-status" hx-get="${url}" hx-trigger="${POLL_REFRESH}" hx-swap="outerHTML" aria-live="polite">
  ${
    paused
      ? html`<div class="alert error"><p><strong>Polling is paused</strong> since ${timestamp(issuer.jwks_polling_disabled_at)} after repeated failures. Exchanges use the last keys that were fetched successfully. Fix the key host, then re-enable polling.</p>
  ${actionButton({ action: `/console/issuers/${segment(issuer.id)}/enable-polling`, csrfToken: ctx.csrfToken, label: 'Re-enable polling', variant: 'primary' })}</div>`
      : ''
  }
  ${definitionList([
    ['State', keyHealth(issuer)],
    ['Last successful fetch', timestamp(status?.last_fetched_at)],
    ['Failures in a row', String(status?.consecutive_failures ?? 0)],
    ['Next fetch', paused ? html`<span class="muted">paused</span>` : timestamp(status?.next_poll_at)],
  ])}
</div>`;
}

async function listPage(ctx: ConsoleContext, reply: FastifyReply, query: unknown, form: { values: IssuerFormValues; errors: FormErrors }) {
  const list = await ctx.api.read<CursorList<IssuerWire>>(BASE, { limit: 50, page: cursorParam(query) });
  const rows = list.data.map(
    (issuer) => html`<tr>
  <td><a href="/console/issuers/${segment(issuer.id)}">${issuer.name}</a></td>
  <td class="truncate"><code>${issuer.issuer_url}</code></td>
  <td>${KEY_SOURCE[issuer.jwks.type]}</td>
  <td>${keyHealth(issuer)}</td>
</tr>`,
  );
  const content = html`${notice(query)}
${
  list.data.length === 0
    ? emptyState(
        'No issuers yet',
        'An issuer is the identity provider your workloads get tokens from (GitHub Actions, Kubernetes, Entra ID, …). Add one below, then write a federation rule for it.',
      )
    : table(['Name', 'Issuer URL', 'Keys', 'Key status'], rows, 'Issuers')
}
${list.next_page ? html`<p><a href="/console/issuers?page=${encodeURIComponent(list.next_page)}">Next page →</a></p>` : ''}
${section('Add an issuer', issuerForm(ctx, { action: '/console/issuers', values: form.values, errors: form.errors, submitLabel: 'Add issuer' }), { id: 'create' })}`;
  return renderPage(
    ctx,
    reply,
    { title: 'Issuers', section: 'issuers', lead: 'Identity providers whose tokens this server accepts, and where their signing keys come from.' },
    content,
  );
}

async function detailPage(ctx: ConsoleContext, reply: FastifyReply, id: string, query: unknown, form: { values: IssuerFormValues | null; errors: FormErrors }) {
  const issuer = await ctx.api.read<IssuerWire>(`${BASE}/${segment(id)}`);
  const rules = await ctx.api.read<CursorList<RuleWire>>('/v1/organizations/federation_rules', { issuer_id: issuer.id, limit: 100 });
  const archived = issuer.archived_at !== null;
  const content = html`${notice(query)}
${section('Key polling', pollPanel(ctx, issuer))}
${section(
  'Rules using this issuer',
  rules.data.length === 0
    ? html`<p class="muted">No federation rule uses this issuer yet. <a href="/console/rules/new?issuer_id=${issuer.id}">Create a rule</a> to let its tokens in.</p>`
    : table(
        ['Rule', 'Target', 'Scope'],
        rules.data.map(
          (r) =>
            html`<tr><td><a href="/console/rules/${segment(r.id)}">${r.name}</a></td><td>${r.target.service_account_name ?? r.target.service_account_id}</td><td><code>${r.oauth_scope}</code></td></tr>`,
        ),
      ),
)}
${
  archived
    ? section(
        'Details',
        definitionList([
          ['ID', html`<code>${issuer.id}</code>`],
          ['Issuer URL', html`<code>${issuer.issuer_url}</code>`],
          ['Archived', timestamp(issuer.archived_at)],
        ]),
      )
    : section(
        'Edit issuer',
        issuerForm(ctx, {
          action: `/console/issuers/${segment(issuer.id)}`,
          values: form.values ?? issuerValues(issuer),
          errors: form.errors,
          submitLabel: 'Save changes',
        }),
      )
}`;
  return renderPage(
    ctx,
    reply,
    {
      title: issuer.name,
      section: 'issuers',
      back: { href: '/console/issuers', label: 'Issuers' },
      lead: html`<code>${issuer.issuer_url}</code> · ID <code>${issuer.id}</code>${archived ? ' · archived' : ''}`,
      actions: archived ? undefined : linkButton(`/console/issuers/${segment(issuer.id)}/archive`, 'Archive', 'danger'),
    },
    content,
  );
}

function formErrors(message: string, keysError: string | null): FormErrors {
  return FormErrors.fromApiMessage(keysError ?? message, ISSUER_FIELDS);
}

/** Issuers (spec §3.4): list, create, edit, live key-polling status, re-enable polling, archive. */
export function issuerPages(scope: FastifyInstance): void {
  scope.get('/issuers', async (request, reply) => listPage(contextOf(request), reply, request.query, { values: EMPTY_ISSUER, errors: FormErrors.none() }));

  scope.post('/issuers', async (request, reply) => {
    const ctx = contextOf(request);
    const values = readIssuerForm(request.body);
    const { body, keysError } = issuerBody(values);
    if (keysError) return listPage(ctx, reply, {}, { values, errors: formErrors('', keysError) });
    const result = await ctx.api.post<IssuerWire>(BASE, body);
    if (result.ok) return redirect(request, reply, `/console/issuers/${segment(result.body.id)}?notice=created`);
    return listPage(ctx, reply, {}, { values, errors: formErrors(result.message, null) });
  });

  scope.get('/issuers/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    return detailPage(contextOf(request), reply, id, request.query, { values: null, errors: FormErrors.none() });
  });

  scope.get('/issuers/:id/poll-status', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const issuer = await ctx.api.read<IssuerWire>(`${BASE}/${segment(id)}`);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(pollPanel(ctx, issuer).value);
  });

  scope.post('/issuers/:id', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const values = readIssuerForm(request.body);
    const { body, keysError } = issuerBody(values);
    if (keysError) return detailPage(ctx, reply, id, {}, { values, errors: formErrors('', keysError) });
    const result = await ctx.api.post<IssuerWire>(`${BASE}/${segment(id)}`, body);
    if (result.ok) return redirect(request, reply, `/console/issuers/${segment(id)}?notice=saved`);
    return detailPage(ctx, reply, id, {}, { values, errors: formErrors(result.message, null) });
  });

  scope.post('/issuers/:id/enable-polling', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const result = await ctx.api.post<IssuerWire>(`${BASE}/${segment(id)}`, { jwks_polling_disabled: false });
    if (result.ok) return redirect(request, reply, `/console/issuers/${segment(id)}?notice=polling-enabled`);
    const errors = FormErrors.none();
    errors.addGeneral(result.message);
    return detailPage(ctx, reply, id, {}, { values: null, errors });
  });

  scope.get('/issuers/:id/archive', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const issuer = await ctx.api.read<IssuerWire>(`${BASE}/${segment(id)}`);
    return confirmArchive(
      ctx,
      reply,
      archiveOptions(
        issuer,
        html`Tokens from <code>${issuer.issuer_url}</code> will no longer be accepted. An issuer that live rules still use cannot be archived: archive those rules first.`,
      ),
    );
  });

  scope.post('/issuers/:id/archive', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const result = await ctx.api.post<IssuerWire>(`${BASE}/${segment(id)}/archive`);
    if (result.ok) return redirect(request, reply, `/console/issuers/${segment(id)}?notice=archived`);
    const issuer = await ctx.api.read<IssuerWire>(`${BASE}/${segment(id)}`);
    return confirmArchive(ctx, reply, { ...archiveOptions(issuer, html`The API refused to archive this issuer.`), error: result.message });
  });
}

function archiveOptions(issuer: IssuerWire, consequences: SafeHtml) {
  return {
    section: 'issuers' as const,
    what: 'issuer',
    name: issuer.name,
    consequences,
    action: `/console/issuers/${segment(issuer.id)}/archive`,
    cancelHref: `/console/issuers/${segment(issuer.id)}`,
  };
}
