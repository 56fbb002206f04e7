import type { FastifyInstance, FastifyReply } from 'fastify';
import { DENY_REASONS, type DenyReason } from '../../exchange/deny-reasons.ts';
import { segment } from '../admin-api.ts';
import { badge, definitionList, emptyState, linkButton, section, table, timestamp } from '../components.ts';
import { contextOf, type ConsoleContext } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { AuthEventWire, CursorList } from '../wire.ts';
import { cursorParam, queryParam, renderPage } from './shared.ts';

const BASE = '/v1/organizations/federation_events';
const REASONS = Object.keys(DENY_REASONS) as DenyReason[];

export function reasonDescription(reason: string | null): string | null {
  return reason !== null && Object.hasOwn(DENY_REASONS, reason) ? DENY_REASONS[reason as DenyReason].description : null;
}

export function outcomeBadge(outcome: AuthEventWire['outcome']): SafeHtml {
  return outcome === 'success' ? badge('success', 'ok') : badge('denied', 'bad');
}

export function eventTable(events: AuthEventWire[]): SafeHtml {
  return table(
    ['Time', 'Outcome', 'Reason', 'Subject', ''],
    events.map(
      (e) => html`<tr>
  <td>${timestamp(e.created_at)}</td>
  <td>${outcomeBadge(e.outcome)}</td>
  <td>${e.reason ? html`<code>${e.reason}</code>` : html`<span class="muted">—</span>`}</td>
  <td class="truncate">${e.subject ?? html`<span class="muted">unverified</span>`}</td>
  <td><a href="/console/events/${segment(e.id)}">Details<span class="visually-hidden"> of event ${e.id}</span></a></td>
</tr>`,
    ),
    'Authentication events',
  );
}

interface Filters {
  outcome: string;
  reason: string;
  federation_rule_id: string;
  issuer_id: string;
}

function filterForm(filters: Filters): SafeHtml {
  const option = (value: string, label: string, current: string) => html`<option value="${value}"${value === current ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/console/events" class="filters" role="search" aria-label="Filter events">
  <div class="field"><label for="filter-outcome">Outcome</label>
    <select id="filter-outcome" name="outcome">${option('', 'Any', filters.outcome)}${option('denied', 'Denied', filters.outcome)}${option('success', 'Success', filters.outcome)}</select></div>
  <div class="field"><label for="filter-reason">Reason</label>
    <select id="filter-reason" name="reason">${option('', 'Any', filters.reason)}${REASONS.map((r) => option(r, r, filters.reason))}</select></div>
  <div class="field"><label for="filter-rule">Rule ID</label><input id="filter-rule" name="federation_rule_id" value="${filters.federation_rule_id}" placeholder="fdrl_…" autocomplete="off"></div>
  <div class="field"><label for="filter-issuer">Issuer ID</label><input id="filter-issuer" name="issuer_id" value="${filters.issuer_id}" placeholder="fdis_…" autocomplete="off"></div>
  <div class="form-actions"><button type="submit" class="button primary">Filter</button> <a class="button subtle" href="/console/events">Clear</a></div>
</form>`;
}

async function listPage(ctx: ConsoleContext, reply: FastifyReply, query: unknown) {
  const filters: Filters = {
    outcome: queryParam(query, 'outcome'),
    reason: queryParam(query, 'reason'),
    federation_rule_id: queryParam(query, 'federation_rule_id'),
    issuer_id: queryParam(query, 'issuer_id'),
  };
  const result = await ctx.api.get<CursorList<AuthEventWire>>(BASE, { ...filters, limit: 50, page: cursorParam(query) });
  const filtered = Object.values(filters).some((v) => v !== '');
  let body: SafeHtml;
  if (!result.ok) {
    body = html`<div class="alert error" role="alert">${result.message}</div>`;
  } else if (result.body.data.length === 0) {
    body = filtered
      ? emptyState('No events match these filters', 'Clear a filter, or try another reason.')
      : emptyState(
          'No authentication events yet',
          html`Every token exchange (<code>POST /v1/oauth/token</code>) that names a rule is recorded here, allowed or denied. Try one with <a href="/console/test">Test a token</a> first: it shows each check without recording anything.`,
        );
  } else {
    const next = result.body.next_page;
    const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
    if (next) params.set('page', next);
    body = html`${eventTable(result.body.data)}${next ? html`<p><a href="/console/events?${params.toString()}">Older events →</a></p>` : ''}`;
  }
  return renderPage(
    ctx,
    reply,
    { title: 'Authentication events', section: 'events', lead: 'Every token exchange, newest first, with the reason it was denied.' },
    html`${filterForm(filters)}${body}`,
  );
}

async function detailPage(ctx: ConsoleContext, reply: FastifyReply, id: string) {
  const event = await ctx.api.read<AuthEventWire>(`${BASE}/${segment(id)}`);
  const description = reasonDescription(event.reason);
  const content = html`${
    event.outcome === 'denied'
      ? html`<div class="alert error"><p><strong>Denied: <code>${event.reason ?? 'unknown'}</code></strong>${description ? html` — ${description}` : ''}</p>${event.detail ? html`<p class="detail">${event.detail}</p>` : ''}
  <p>${linkButton(`/console/test?rule_id=${event.federation_rule_id}`, 'Test a token against this rule', 'subtle')} <a href="/console/rules/${segment(event.federation_rule_id)}">Open the rule</a></p></div>`
      : html`<div class="alert ok"><p><strong>Token issued</strong> for service account <code>${event.service_account_id ?? '—'}</code> in workspace <code>${event.workspace_id ?? '—'}</code>.</p></div>`
  }
${section(
  'Request',
  definitionList([
    ['Event ID', html`<code>${event.id}</code>`],
    ['Time', timestamp(event.created_at)],
    ['Request ID', html`<code>${event.request_id}</code>`],
    ['Rule', html`<a href="/console/rules/${segment(event.federation_rule_id)}"><code>${event.federation_rule_id}</code></a>`],
    [
      'Issuer',
      event.issuer_id ? html`<a href="/console/issuers/${segment(event.issuer_id)}"><code>${event.issuer_id}</code></a>` : html`<span class="muted">—</span>`,
    ],
    ['Subject', event.subject ?? html`<span class="muted">—</span>`],
    ['jti', event.jti ?? html`<span class="muted">—</span>`],
    ['Requested service account', event.requested_service_account_id ?? html`<span class="muted">—</span>`],
    ['Client', html`${event.ip_address ?? '—'} · ${event.user_agent ?? '—'}`],
  ]),
)}
${section(
  'Verified claims',
  event.claims
    ? html`<pre class="claims"><code>${JSON.stringify(event.claims, null, 2)}</code></pre>`
    : html`<p class="muted">None: the assertion's signature was not verified, so its claims are not recorded.</p>`,
)}`;
  return renderPage(
    ctx,
    reply,
    {
      title: 'Authentication event',
      section: 'events',
      back: { href: '/console/events', label: 'Authentication events' },
      lead: html`${outcomeBadge(event.outcome)} ${timestamp(event.created_at)}`,
    },
    content,
  );
}

/** Authentication events (docs/diagnostics.md): filters, and a detail view that answers "why?". */
export function eventPages(scope: FastifyInstance): void {
  scope.get('/events', async (request, reply) => listPage(contextOf(request), reply, request.query));
  scope.get('/events/:id', async (request, reply) => detailPage(contextOf(request), reply, (request.params as { id: string }).id));
}
