import type { FastifyInstance, FastifyReply } from 'fastify';
import { segment } from '../admin-api.ts';
import {
  actionButton,
  badge,
  definitionList,
  emptyState,
  linkButton,
  notice,
  postForm,
  section,
  select,
  table,
  textArea,
  textInput,
  timestamp,
} from '../components.ts';
import { contextOf, field, redirect, type ConsoleContext } from '../context.ts';
import { FormErrors } from '../form-errors.ts';
import { html } from '../html.ts';
import type { CursorList, MembershipWire, ServiceAccountWire } from '../wire.ts';
import { confirmArchive } from './confirm.ts';
import { cursorParam, liveWorkspaces, renderPage, workspaceLabel } from './shared.ts';

const CREATE_FIELDS = ['name', 'description', 'organization_role'] as const;
const MEMBERSHIP_FIELDS = ['workspace_id', 'workspace_role'] as const;
const ROLES = [
  { value: 'workspace_developer', label: 'Developer' },
  { value: 'workspace_user', label: 'User' },
  { value: 'workspace_restricted_developer', label: 'Restricted developer' },
  { value: 'workspace_admin', label: 'Admin' },
];
const BASE = '/v1/organizations/service_accounts';

interface CreateForm {
  values: Record<(typeof CREATE_FIELDS)[number], string>;
  errors: FormErrors;
}

function createForm(ctx: ConsoleContext, form: CreateForm) {
  return postForm(
    { action: '/console/service-accounts', csrfToken: ctx.csrfToken, errors: form.errors, submitLabel: 'Create service account' },
    html`${textInput({ name: 'name', label: 'Name', value: form.values.name, errors: form.errors, required: true, hint: 'Lowercase letters, digits and dashes, e.g. "ci-deployer". Cannot be changed later.' })}
${textArea({ name: 'description', label: 'Description', value: form.values.description, errors: form.errors, rows: 2 })}
${select({
  name: 'organization_role',
  label: 'Organization role',
  value: form.values.organization_role || 'developer',
  errors: form.errors,
  required: true,
  choices: [
    { value: 'developer', label: 'Developer' },
    { value: 'admin', label: 'Admin (may receive org:admin tokens)' },
  ],
})}`,
  );
}

async function listPage(ctx: ConsoleContext, reply: FastifyReply, query: unknown, form: CreateForm) {
  const list = await ctx.api.read<CursorList<ServiceAccountWire>>(BASE, { limit: 50, page: cursorParam(query) });
  const rows = list.data.map(
    (sa) => html`<tr>
  <td><a href="/console/service-accounts/${segment(sa.id)}">${sa.name}</a></td>
  <td>${sa.organization_role === 'admin' ? badge('admin', 'warn') : badge('developer', 'muted')}</td>
  <td class="truncate">${sa.description ?? ''}</td>
  <td>${timestamp(sa.created_at)}</td>
</tr>`,
  );
  const content = html`${notice(query)}
${
  list.data.length === 0
    ? emptyState('No service accounts yet', 'A service account is the identity a workload acts as. Create one below, then point a federation rule at it.')
    : table(['Name', 'Role', 'Description', 'Created'], rows, 'Service accounts')
}
${list.next_page ? html`<p><a href="/console/service-accounts?page=${encodeURIComponent(list.next_page)}">Next page →</a></p>` : ''}
${section('Create a service account', createForm(ctx, form), { id: 'create' })}`;
  return renderPage(
    ctx,
    reply,
    {
      title: 'Service accounts',
      section: 'service-accounts',
      lead: 'Identities that federated workloads act as. Each token a rule mints is for one service account.',
    },
    content,
  );
}

async function detailPage(
  ctx: ConsoleContext,
  reply: FastifyReply,
  id: string,
  query: unknown,
  membership: { values: Record<string, string>; errors: FormErrors },
) {
  const account = await ctx.api.read<ServiceAccountWire>(`${BASE}/${segment(id)}`);
  const memberships = await ctx.api.read<CursorList<MembershipWire>>(`${BASE}/${segment(account.id)}/workspaces`, { limit: 100 });
  const { workspaces } = await liveWorkspaces(ctx.api);
  const names = new Map(workspaces.map((w) => [w.id, workspaceLabel(w)]));
  const archived = account.archived_at !== null;
  const rows = memberships.data.map(
    (m) => html`<tr>
  <td>${names.get(m.workspace_id) ?? m.workspace_id}</td>
  <td>${m.workspace_role}</td>
  <td>${m.implicit ? html`<span class="muted">implicit (default workspace)</span>` : actionButton({ action: `/console/service-accounts/${segment(account.id)}/memberships/${segment(m.workspace_id)}/remove`, csrfToken: ctx.csrfToken, label: 'Remove' })}</td>
</tr>`,
  );
  const memberOf = new Set(memberships.data.filter((m) => !m.implicit).map((m) => m.workspace_id));
  const content = html`${notice(query)}
${section(
  'Details',
  definitionList([
    ['ID', html`<code>${account.id}</code>`],
    ['Organization role', account.organization_role],
    ['Description', account.description || html`<span class="muted">—</span>`],
    ['Created', timestamp(account.created_at)],
    ['Archived', account.archived_at ? timestamp(account.archived_at) : html`<span class="muted">no</span>`],
  ]),
)}
${section(
  'Workspace memberships',
  html`${rows.length === 0 ? html`<p class="muted">Not a member of any workspace.</p>` : table(['Workspace', 'Role', ''], rows, 'Memberships')}
${
  archived
    ? ''
    : postForm(
        {
          action: `/console/service-accounts/${segment(account.id)}/memberships`,
          csrfToken: ctx.csrfToken,
          errors: membership.errors,
          submitLabel: 'Add to workspace',
          className: 'inline',
        },
        html`${select({ name: 'workspace_id', label: 'Workspace', value: membership.values['workspace_id'] ?? '', errors: membership.errors, required: true, placeholder: 'Choose a workspace', choices: workspaces.filter((w) => !memberOf.has(w.id)).map((w) => ({ value: w.id, label: workspaceLabel(w) })) })}
${select({ name: 'workspace_role', label: 'Role', value: membership.values['workspace_role'] ?? 'workspace_developer', errors: membership.errors, required: true, choices: ROLES })}`,
      )
}`,
)}`;
  return renderPage(
    ctx,
    reply,
    {
      title: account.name,
      section: 'service-accounts',
      back: { href: '/console/service-accounts', label: 'Service accounts' },
      lead: archived ? 'This service account is archived.' : undefined,
      actions: archived ? undefined : linkButton(`/console/service-accounts/${segment(account.id)}/archive`, 'Archive', 'danger'),
    },
    content,
  );
}

/** Service accounts and their workspace memberships (spec §3.1, §3.2). */
export function serviceAccountPages(scope: FastifyInstance): void {
  scope.get('/service-accounts', async (request, reply) => {
    return listPage(contextOf(request), reply, request.query, {
      values: { name: '', description: '', organization_role: 'developer' },
      errors: FormErrors.none(),
    });
  });

  scope.post('/service-accounts', async (request, reply) => {
    const ctx = contextOf(request);
    const values = {
      name: field(request.body, 'name'),
      description: field(request.body, 'description'),
      organization_role: field(request.body, 'organization_role'),
    };
    const result = await ctx.api.post<ServiceAccountWire>(BASE, {
      name: values.name,
      description: values.description === '' ? null : values.description,
      organization_role: values.organization_role || null,
    });
    if (result.ok) return redirect(request, reply, `/console/service-accounts/${segment(result.body.id)}?notice=created`);
    return listPage(ctx, reply, {}, { values, errors: FormErrors.fromApiMessage(result.message, CREATE_FIELDS) });
  });

  scope.get('/service-accounts/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    return detailPage(contextOf(request), reply, id, request.query, { values: {}, errors: FormErrors.none() });
  });

  scope.post('/service-accounts/:id/memberships', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const values = { workspace_id: field(request.body, 'workspace_id'), workspace_role: field(request.body, 'workspace_role') };
    const result = await ctx.api.post(`${BASE}/${segment(id)}/workspaces`, values);
    if (result.ok) return redirect(request, reply, `/console/service-accounts/${segment(id)}?notice=added`);
    return detailPage(ctx, reply, id, {}, { values, errors: FormErrors.fromApiMessage(result.message, MEMBERSHIP_FIELDS) });
  });

  scope.post('/service-accounts/:id/memberships/:workspaceId/remove', async (request, reply) => {
    const ctx = contextOf(request);
    const { id, workspaceId } = request.params as { id: string; workspaceId: string };
    const result = await ctx.api.delete(`${BASE}/${segment(id)}/workspaces/${segment(workspaceId)}`);
    if (result.ok) return redirect(request, reply, `/console/service-accounts/${segment(id)}?notice=removed`);
    const errors = FormErrors.none();
    errors.addGeneral(result.message);
    return detailPage(ctx, reply, id, {}, { values: {}, errors });
  });

  scope.get('/service-accounts/:id/archive', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const account = await ctx.api.read<ServiceAccountWire>(`${BASE}/${segment(id)}`);
    return confirmArchive(ctx, reply, {
      section: 'service-accounts',
      what: 'service account',
      name: account.name,
      consequences: html`Tokens already minted for <strong>${account.name}</strong> stop working on their next request. A service account that is still the target of a live rule cannot be archived.`,
      action: `/console/service-accounts/${segment(account.id)}/archive`,
      cancelHref: `/console/service-accounts/${segment(account.id)}`,
    });
  });

  scope.post('/service-accounts/:id/archive', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const result = await ctx.api.post(`${BASE}/${segment(id)}/archive`);
    if (result.ok) return redirect(request, reply, `/console/service-accounts/${segment(id)}?notice=archived`);
    const account = await ctx.api.read<ServiceAccountWire>(`${BASE}/${segment(id)}`);
    return confirmArchive(ctx, reply, {
      section: 'service-accounts',
      what: 'service account',
      name: account.name,
      consequences: html`The API refused to archive <strong>${account.name}</strong>.`,
      action: `/console/service-accounts/${segment(account.id)}/archive`,
      cancelHref: `/console/service-accounts/${segment(account.id)}`,
      error: result.message,
    });
  });
}
