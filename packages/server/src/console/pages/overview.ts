import type { FastifyInstance } from 'fastify';
import { segment } from '../admin-api.ts';
import { emptyState, linkButton, section } from '../components.ts';
import { contextOf } from '../context.ts';
import { html, type SafeHtml } from '../html.ts';
import type { AuthEventWire, CursorList, IssuerWire, RuleWire, ServiceAccountWire } from '../wire.ts';
import { eventTable } from './events.ts';
import { keyHealth } from './issuers.ts';
import { countLabel, liveWorkspaces, renderPage } from './shared.ts';

function stat(label: string, value: string, href: string): SafeHtml {
  return html`<a class="stat" href="${href}"><span class="stat-value">${value}</span><span class="stat-label">${label}</span></a>`;
}

/** The first steps, in order, until the organization has at least one of each. */
function gettingStarted(counts: { issuers: number; accounts: number; rules: number }): SafeHtml {
  if (counts.issuers > 0 && counts.accounts > 0 && counts.rules > 0) return html``;
  const step = (done: boolean, text: SafeHtml) =>
    html`<li class="${done ? 'done' : ''}">${done ? html`<span class="visually-hidden">Done: </span>` : ''}${text}</li>`;
  return section(
    'Get started',
    html`<ol class="checklist">
  ${step(counts.issuers > 0, html`<a href="/console/issuers#create">Add an issuer</a>: the identity provider that signs your workloads’ tokens.`)}
  ${step(counts.accounts > 0, html`<a href="/console/service-accounts#create">Create a service account</a>: the identity the workload acts as.`)}
  ${step(counts.rules > 0, html`<a href="/console/rules/new">Write a federation rule</a>: which tokens may act as that service account.`)}
  ${step(false, html`<a href="/console/test">Test a token</a> to see every check it passes or fails.`)}
</ol>`,
  );
}

export function overviewPage(scope: FastifyInstance): void {
  scope.get('/', async (request, reply) => {
    const ctx = contextOf(request);
    const issuers = await ctx.api.read<CursorList<IssuerWire>>('/v1/organizations/federation_issuers', { limit: 100 });
    const rules = await ctx.api.read<CursorList<RuleWire>>('/v1/organizations/federation_rules', { limit: 100 });
    const accounts = await ctx.api.read<CursorList<ServiceAccountWire>>('/v1/organizations/service_accounts', { limit: 100 });
    const { workspaces } = await liveWorkspaces(ctx.api);
    const failures = await ctx.api.get<CursorList<AuthEventWire>>('/v1/organizations/federation_events', { outcome: 'denied', limit: 10 });
    const troubled = issuers.data.filter((i) => i.jwks_polling_disabled_at !== null || (i.poll_status?.consecutive_failures ?? 0) > 0);

    const content = html`<div class="stats">
  ${stat('Issuers', countLabel(issuers), '/console/issuers')}
  ${stat('Federation rules', countLabel(rules), '/console/rules')}
  ${stat('Service accounts', countLabel(accounts), '/console/service-accounts')}
  ${stat('Workspaces', String(workspaces.length), '/console/workspaces')}
</div>
${gettingStarted({ issuers: issuers.data.length, accounts: accounts.data.length, rules: rules.data.length })}
${
  troubled.length > 0
    ? section(
        'Key fetching problems',
        html`<ul class="plain">${troubled.map((i) => html`<li>${keyHealth(i)} <a href="/console/issuers/${segment(i.id)}">${i.name}</a> <code class="muted">${i.issuer_url}</code></li>`)}</ul>`,
      )
    : ''
}
${section(
  'Recent failures',
  !failures.ok
    ? html`<div class="alert error">${failures.message}</div>`
    : failures.body.data.length === 0
      ? emptyState('No failed exchanges', 'Denied token exchanges appear here with the reason, so you can see why a workload could not sign in.')
      : eventTable(failures.body.data),
  { actions: linkButton('/console/events?outcome=denied', 'All failures', 'subtle') },
)}`;
    return renderPage(ctx, reply, { title: 'Overview', section: 'overview' }, content);
  });
}
