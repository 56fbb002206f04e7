import type { FastifyInstance, FastifyReply } from 'fastify';
import { segment, type ApiResult } from '../admin-api.ts';
import { actionButton, badge, notice, postForm, section, textInput, timestamp } from '../components.ts';
import { contextOf, field, redirect, type ConsoleContext } from '../context.ts';
import { FormErrors } from '../form-errors.ts';
import { html, type SafeHtml } from '../html.ts';
import type { UpstreamCredentialWire } from '../wire.ts';
import { liveWorkspaces, renderPage, workspaceLabel, type ListedWorkspace } from './shared.ts';

const path = (workspaceId: string) => `/v1/organizations/workspaces/${segment(workspaceId)}/upstream_credential`;

const SOURCE_TEXT: Record<UpstreamCredentialWire['effective_source'], string> = {
  workspace: 'this workspace’s key',
  server_default: 'the server’s default key (OPENWIF_UPSTREAM_API_KEY)',
  none: 'no key: gateway calls for this workspace fail',
  stand_in: 'the built-in stand-in model (no upstream URL configured)',
};

function card(ctx: ConsoleContext, workspace: ListedWorkspace, status: ApiResult<UpstreamCredentialWire>, errors: FormErrors): SafeHtml {
  if (!status.ok) {
    return section(workspaceLabel(workspace), html`<div class="alert error">${status.message}</div>`);
  }
  const credential = status.body;
  const base = `/console/upstream/${segment(workspace.id)}`;
  return section(
    workspaceLabel(workspace),
    html`<p>${credential.configured ? badge('key set', 'ok') : badge('no key', 'muted')} Gateway calls use ${SOURCE_TEXT[credential.effective_source]}.${credential.updated_at ? html` Last changed ${timestamp(credential.updated_at)}.` : ''}</p>
${postForm(
  { action: base, csrfToken: ctx.csrfToken, errors, submitLabel: credential.configured ? 'Replace key' : 'Set key', className: 'inline' },
  // Write-only: the field is always empty; the key is never sent back to the browser.
  textInput({
    name: 'api_key',
    label: credential.configured ? 'New API key' : 'API key',
    value: '',
    errors,
    type: 'password',
    autocomplete: 'new-password',
    required: true,
  }),
)}
${credential.configured ? actionButton({ action: `${base}/remove`, csrfToken: ctx.csrfToken, label: 'Remove key', variant: 'danger' }) : ''}`,
    { id: `ws-${workspace.id}` },
  );
}

async function upstreamPage(ctx: ConsoleContext, reply: FastifyReply, query: unknown, failed: { workspaceId: string; errors: FormErrors } | null) {
  const { workspaces } = await liveWorkspaces(ctx.api);
  const cards: SafeHtml[] = [];
  for (const workspace of workspaces) {
    const credential = await ctx.api.get<UpstreamCredentialWire>(path(workspace.id));
    cards.push(card(ctx, workspace, credential, failed?.workspaceId === workspace.id ? failed.errors : FormErrors.none()));
  }
  return renderPage(
    ctx,
    reply,
    {
      title: 'Upstream credentials',
      section: 'upstream',
      lead: 'The Anthropic API key the gateway uses for each workspace. Keys are stored encrypted and are never displayed again after saving.',
    },
    html`${notice(query)}${cards}`,
  );
}

/** Upstream credentials (gateway extension): set, replace or remove; never displayed. */
export function upstreamPages(scope: FastifyInstance): void {
  scope.get('/upstream', async (request, reply) => upstreamPage(contextOf(request), reply, request.query, null));

  scope.post('/upstream/:workspaceId', async (request, reply) => {
    const ctx = contextOf(request);
    const { workspaceId } = request.params as { workspaceId: string };
    const result = await ctx.api.put(path(workspaceId), { api_key: field(request.body, 'api_key') });
    if (result.ok) return redirect(request, reply, '/console/upstream?notice=credential-set');
    return upstreamPage(ctx, reply, {}, { workspaceId, errors: FormErrors.fromApiMessage(result.message, ['api_key']) });
  });

  scope.post('/upstream/:workspaceId/remove', async (request, reply) => {
    const ctx = contextOf(request);
    const { workspaceId } = request.params as { workspaceId: string };
    const result = await ctx.api.delete(path(workspaceId));
    if (result.ok) return redirect(request, reply, '/console/upstream?notice=credential-removed');
    const errors = FormErrors.none();
    errors.addGeneral(result.message);
    return upstreamPage(ctx, reply, {}, { workspaceId, errors });
  });
}
