import type { FastifyInstance } from 'fastify';
import { segment } from '../admin-api.ts';
import { badge, emptyState, notice, postForm, section, table, textInput, timestamp } from '../components.ts';
import { contextOf, field, redirect, type ConsoleContext } from '../context.ts';
import { FormErrors } from '../form-errors.ts';
import { html } from '../html.ts';
import type { WorkspaceWire } from '../wire.ts';
import { confirmArchive } from './confirm.ts';
import { liveWorkspaces, renderPage } from './shared.ts';

const FIELDS = ['name'] as const;

async function listPage(ctx: ConsoleContext, query: unknown, form: { name: string; errors: FormErrors }) {
  const list = await liveWorkspaces(ctx.api);
  const rows = list.workspaces.map(
    (w) => html`<tr>
  <td><svg class="swatch" width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="3" fill="${w.display_color}"></rect></svg> ${w.name}</td>
  <td><code>${w.id}</code></td>
  <td>${timestamp(w.created_at)}</td>
  <td class="actions">${w.isDefault ? badge('default', 'muted') : html`<a class="button subtle small" href="/console/workspaces/${segment(w.id)}/archive">Archive</a>`}</td>
</tr>`,
  );
  return html`${notice(query)}
${
  list.workspaces.length === 0
    ? emptyState('No workspaces', 'Create a workspace to group service accounts and the API keys they use.')
    : table(['Name', 'ID', 'Created', ''], rows, 'Workspaces')
}
${list.hasMore ? html`<p class="muted">Showing the first 100 workspaces.</p>` : ''}
${section(
  'Create a workspace',
  postForm(
    { action: '/console/workspaces', csrfToken: ctx.csrfToken, errors: form.errors, submitLabel: 'Create workspace' },
    textInput({
      name: 'name',
      label: 'Name',
      value: form.name,
      errors: form.errors,
      required: true,
      maxLength: 40,
      hint: 'Up to 40 characters, e.g. "production".',
    }),
  ),
  { id: 'create' },
)}`;
}

/** Workspaces: list, create, archive (spec §3.3). The default workspace cannot be archived. */
export function workspacePages(scope: FastifyInstance): void {
  scope.get('/workspaces', async (request, reply) => {
    const ctx = contextOf(request);
    return renderPage(
      ctx,
      reply,
      { title: 'Workspaces', section: 'workspaces', lead: 'Workspaces scope what a minted token may do; every rule is enabled for one or more of them.' },
      await listPage(ctx, request.query, { name: '', errors: FormErrors.none() }),
    );
  });

  scope.post('/workspaces', async (request, reply) => {
    const ctx = contextOf(request);
    const name = field(request.body, 'name');
    const result = await ctx.api.post<WorkspaceWire>('/v1/organizations/workspaces', { name });
    if (result.ok) return redirect(request, reply, '/console/workspaces?notice=created');
    const errors = FormErrors.fromApiMessage(result.message, FIELDS);
    return renderPage(ctx, reply, { title: 'Workspaces', section: 'workspaces' }, await listPage(ctx, {}, { name, errors }));
  });

  scope.get('/workspaces/:id/archive', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const workspace = await ctx.api.read<WorkspaceWire>(`/v1/organizations/workspaces/${segment(id)}`);
    return confirmArchive(ctx, reply, {
      section: 'workspaces',
      what: 'workspace',
      name: workspace.name,
      consequences: html`Tokens can no longer be minted for <strong>${workspace.name}</strong>, and rules enabled only for it stop matching any workspace.`,
      action: `/console/workspaces/${segment(workspace.id)}/archive`,
      cancelHref: '/console/workspaces',
    });
  });

  scope.post('/workspaces/:id/archive', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const result = await ctx.api.post<WorkspaceWire>(`/v1/organizations/workspaces/${segment(id)}/archive`);
    if (result.ok) return redirect(request, reply, '/console/workspaces?notice=archived');
    const workspace = await ctx.api.read<WorkspaceWire>(`/v1/organizations/workspaces/${segment(id)}`);
    return confirmArchive(ctx, reply, {
      section: 'workspaces',
      what: 'workspace',
      name: workspace.name,
      consequences: html`The API refused to archive <strong>${workspace.name}</strong>.`,
      action: `/console/workspaces/${segment(workspace.id)}/archive`,
      cancelHref: '/console/workspaces',
      error: result.message,
    });
  });
}
