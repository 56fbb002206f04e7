import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../../app.ts';
import { RuleValidationError } from '../../policy/rule-validation-error.ts';
import { segment } from '../admin-api.ts';
import { actionButton, badge, definitionList, emptyState, linkButton, notice, postForm, section, select, table, timestamp } from '../components.ts';
import { contextOf, field, redirect, type ConsoleContext } from '../context.ts';
import { FormErrors } from '../form-errors.ts';
import { html, type SafeHtml } from '../html.ts';
import type { AuthEventWire, CursorList, LintWarningWire, RuleWire, RuleWorkspaceWire } from '../wire.ts';
import { confirmArchive } from './confirm.ts';
import { eventTable } from './events.ts';
import { claimRow, createBody, emptyRule, readRuleForm, RULE_FIELDS, ruleForm, ruleValues, updateBody, type RuleFormValues } from './rule-form.ts';
import { cursorParam, liveIssuers, liveServiceAccounts, liveWorkspaces, queryParam, renderPage, workspaceLabel } from './shared.ts';

const BASE = '/v1/organizations/federation_rules';
const MAX_CONDITION_CHECK_LENGTH = 8192;

async function formChoices(ctx: ConsoleContext) {
  const [issuers, serviceAccounts, workspaces] = [await liveIssuers(ctx.api), await liveServiceAccounts(ctx.api), await liveWorkspaces(ctx.api)];
  return { issuers, serviceAccounts, workspaces: workspaces.workspaces };
}

function ruleRow(rule: RuleWire): SafeHtml {
  return html`<tr>
  <td><a href="/console/rules/${segment(rule.id)}">${rule.name}</a>${rule.archived_at ? html` ${badge('archived', 'muted')}` : ''}</td>
  <td>${rule.issuer_name ?? rule.issuer_id}</td>
  <td class="truncate">${matchSummary(rule)}</td>
  <td>${rule.target.service_account_name ?? rule.target.service_account_id}</td>
  <td><code>${rule.oauth_scope}</code></td>
</tr>`;
}

function matchSummary(rule: RuleWire): SafeHtml {
  const parts: SafeHtml[] = [];
  if (rule.match.subject_prefix) parts.push(html`sub <code>${rule.match.subject_prefix}</code>`);
  if (rule.match.claims) parts.push(html`${Object.keys(rule.match.claims).length} claim(s)`);
  if (rule.match.condition) parts.push(html`condition`);
  if (rule.match.audience) parts.push(html`aud <code>${rule.match.audience}</code>`);
  return html`${parts.map((part, i) => html`${i > 0 ? ' · ' : ''}${part}`)}`;
}

async function listPage(ctx: ConsoleContext, reply: FastifyReply, query: unknown) {
  const showArchived = queryParam(query, 'archived') === '1';
  const list = await ctx.api.read<CursorList<RuleWire>>(BASE, { limit: 50, page: cursorParam(query), include_archived: showArchived ? true : undefined });
  const issuers = list.data.length === 0 ? await liveIssuers(ctx.api) : [];
  const content = html`${notice(query)}
${
  list.data.length === 0
    ? issuers.length === 0
      ? emptyState(
          'No rules yet',
          html`A federation rule says which tokens of an issuer may act as a service account. First <a href="/console/issuers#create">add an issuer</a>.`,
        )
      : emptyState(
          'No rules yet',
          'A federation rule says which tokens of an issuer may act as a service account.',
          linkButton('/console/rules/new', 'Create a rule'),
        )
    : table(['Rule', 'Issuer', 'Matches', 'Service account', 'Scope'], list.data.map(ruleRow), 'Federation rules')
}
<p class="muted">${list.next_page ? html`<a href="/console/rules?page=${encodeURIComponent(list.next_page)}${showArchived ? '&archived=1' : ''}">Next page →</a> · ` : ''}${showArchived ? html`<a href="/console/rules">Hide archived rules</a>` : html`<a href="/console/rules?archived=1">Show archived rules</a>`}</p>`;
  return renderPage(
    ctx,
    reply,
    {
      title: 'Federation rules',
      section: 'rules',
      lead: 'Which tokens may act as which service account, with what scope.',
      actions: linkButton('/console/rules/new', 'New rule'),
    },
    content,
  );
}

async function newPage(ctx: ConsoleContext, reply: FastifyReply, values: RuleFormValues, errors: FormErrors) {
  const choices = await formChoices(ctx);
  const missing: SafeHtml[] = [];
  if (choices.issuers.length === 0) missing.push(html`<li><a href="/console/issuers#create">Add an issuer</a>: the identity provider of the tokens.</li>`);
  if (choices.serviceAccounts.length === 0)
    missing.push(html`<li><a href="/console/service-accounts#create">Create a service account</a>: the identity the tokens act as.</li>`);
  const content =
    missing.length > 0
      ? emptyState('Two things come first', html`A rule connects an issuer to a service account.<ul>${missing}</ul>`)
      : section('Rule', ruleForm(ctx, { mode: 'create', action: '/console/rules', values, errors, ...choices }));
  return renderPage(ctx, reply, { title: 'New federation rule', section: 'rules', back: { href: '/console/rules', label: 'Federation rules' } }, content);
}

async function detailPage(
  ctx: ConsoleContext,
  reply: FastifyReply,
  id: string,
  query: unknown,
  form: { values: RuleFormValues | null; errors: FormErrors; enableErrors?: FormErrors },
) {
  const rule = await ctx.api.read<RuleWire>(`${BASE}/${segment(id)}`);
  const archived = rule.archived_at !== null;
  const lint = await ctx.api.get<{ warnings: LintWarningWire[] }>(`${BASE}/${segment(rule.id)}/lint`);
  const warnings = lint.ok ? lint.body.warnings : [];
  const enablements = await ctx.api.get<CursorList<RuleWorkspaceWire>>(`${BASE}/${segment(rule.id)}/workspaces`);
  const events = await ctx.api.get<CursorList<AuthEventWire>>('/v1/organizations/federation_events', { federation_rule_id: rule.id, limit: 10 });
  const choices = await formChoices(ctx);
  const enabled = enablements.ok ? enablements.body.data : [];
  const enabledIds = new Set(enabled.map((e) => e.workspace_id));
  const enableErrors = form.enableErrors ?? FormErrors.none();

  const workspaceSection = section(
    'Workspaces',
    html`${rule.applies_to_all_workspaces ? html`<p>${badge('all workspaces', 'info')} This rule applies to every workspace; the enablements below pick the default when a request names none.</p>` : ''}
${
  enabled.length === 0
    ? html`<p class="muted">Not enabled for any workspace.</p>`
    : table(
        ['Workspace', 'Enabled', ''],
        enabled.map(
          (e) =>
            html`<tr><td>${e.workspace_name ?? e.workspace_id}</td><td>${timestamp(e.created_at)}</td><td>${archived ? '' : actionButton({ action: `/console/rules/${segment(rule.id)}/workspaces/${segment(e.workspace_id)}/remove`, csrfToken: ctx.csrfToken, label: 'Disable' })}</td></tr>`,
        ),
      )
}
${
  archived
    ? ''
    : postForm(
        {
          action: `/console/rules/${segment(rule.id)}/workspaces`,
          csrfToken: ctx.csrfToken,
          errors: enableErrors,
          submitLabel: 'Enable for workspace',
          className: 'inline',
        },
        select({
          name: 'workspace_id',
          label: 'Workspace',
          value: '',
          errors: enableErrors,
          required: true,
          placeholder: 'Choose a workspace',
          choices: choices.workspaces.filter((w) => !enabledIds.has(w.id)).map((w) => ({ value: w.id, label: workspaceLabel(w) })),
        }),
      )
}`,
  );

  const content = html`${notice(query)}
${
  warnings.length > 0
    ? html`<div class="alert warn" role="status"><p><strong>${warnings.length} lint warning(s)</strong>: the rule works, but may be broader than you meant. Each is shown next to its field below.</p><ul>${warnings.map((w) => html`<li><code>${w.field}</code>: ${w.message}</li>`)}</ul></div>`
    : ''
}
${section(
  'Summary',
  definitionList([
    ['ID', html`<code>${rule.id}</code>`],
    ['Issuer', html`<a href="/console/issuers/${segment(rule.issuer_id)}">${rule.issuer_name ?? rule.issuer_id}</a>`],
    ['Description', rule.description || html`<span class="muted">—</span>`],
    ['Updated', timestamp(rule.updated_at)],
  ]),
  { actions: archived ? undefined : linkButton(`/console/test?rule_id=${rule.id}`, 'Test a token against this rule', 'subtle') },
)}
${archived ? '' : section('Edit rule', ruleForm(ctx, { mode: 'edit', action: `/console/rules/${segment(rule.id)}`, values: form.values ?? ruleValues(rule), errors: form.errors, warnings, ...choices }))}
${workspaceSection}
${section('Recent authentication events', events.ok && events.body.data.length > 0 ? eventTable(events.body.data) : html`<p class="muted">No token exchange has used this rule yet.</p>`, { actions: html`<a href="/console/events?federation_rule_id=${rule.id}">All events for this rule →</a>` })}`;
  return renderPage(
    ctx,
    reply,
    {
      title: rule.name,
      section: 'rules',
      back: { href: '/console/rules', label: 'Federation rules' },
      lead: archived ? html`${badge('archived', 'muted')} Archived ${timestamp(rule.archived_at)}; archived rules match no token.` : undefined,
      actions: archived ? undefined : linkButton(`/console/rules/${segment(rule.id)}/archive`, 'Archive', 'danger'),
    },
    content,
  );
}

/** The live CEL check: the same compiler the Admin API uses on save, so "valid here" means "saves". */
function conditionFeedback(deps: AppDeps, source: string): SafeHtml {
  if (source.trim() === '') return html`<span class="muted">No condition: optional.</span>`;
  if (source.length > MAX_CONDITION_CHECK_LENGTH) return html`<span class="check-bad">match.condition: condition is too long</span>`;
  try {
    deps.matching.validate({ condition: source });
    return html`<span class="check-ok">✓ Valid condition</span>`;
  } catch (err) {
    if (err instanceof RuleValidationError) return html`<span class="check-bad">${err.field}: ${err.message}</span>`;
    throw err;
  }
}

/** Federation rules (spec §3.5) with lint (docs/diagnostics.md) and workspace enablements. */
export function rulePages(scope: FastifyInstance, deps: AppDeps): void {
  scope.get('/rules', async (request, reply) => listPage(contextOf(request), reply, request.query));

  scope.get('/rules/new', async (request, reply) => newPage(contextOf(request), reply, emptyRule(queryParam(request.query, 'issuer_id')), FormErrors.none()));

  scope.get('/rules/claim-row', async (_request, reply) => reply.type('text/html; charset=utf-8').send(claimRow('', '').value));

  scope.post('/rules/check-condition', async (request, reply) => {
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(conditionFeedback(deps, field(request.body, 'match.condition')).value);
  });

  scope.post('/rules', async (request, reply) => {
    const ctx = contextOf(request);
    const values = readRuleForm(request.body);
    const result = await ctx.api.post<RuleWire>(BASE, createBody(values));
    if (result.ok) return redirect(request, reply, `/console/rules/${segment(result.body.id)}?notice=created`);
    return newPage(ctx, reply, values, FormErrors.fromApiMessage(result.message, RULE_FIELDS));
  });

  scope.get('/rules/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    return detailPage(contextOf(request), reply, id, request.query, { values: null, errors: FormErrors.none() });
  });

  scope.post('/rules/:id', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const values = readRuleForm(request.body);
    const result = await ctx.api.post<RuleWire>(`${BASE}/${segment(id)}`, updateBody(values));
    if (result.ok) return redirect(request, reply, `/console/rules/${segment(id)}?notice=saved`);
    return detailPage(ctx, reply, id, {}, { values, errors: FormErrors.fromApiMessage(result.message, RULE_FIELDS) });
  });

  scope.post('/rules/:id/workspaces', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const result = await ctx.api.post(`${BASE}/${segment(id)}/workspaces`, { workspace_id: field(request.body, 'workspace_id') });
    if (result.ok) return redirect(request, reply, `/console/rules/${segment(id)}?notice=added`);
    return detailPage(
      ctx,
      reply,
      id,
      {},
      { values: null, errors: FormErrors.none(), enableErrors: FormErrors.fromApiMessage(result.message, ['workspace_id']) },
    );
  });

  scope.post('/rules/:id/workspaces/:workspaceId/remove', async (request, reply) => {
    const ctx = contextOf(request);
    const { id, workspaceId } = request.params as { id: string; workspaceId: string };
    const result = await ctx.api.delete(`${BASE}/${segment(id)}/workspaces/${segment(workspaceId)}`);
    if (result.ok) return redirect(request, reply, `/console/rules/${segment(id)}?notice=removed`);
    const enableErrors = FormErrors.none();
    enableErrors.addGeneral(result.message);
    return detailPage(ctx, reply, id, {}, { values: null, errors: FormErrors.none(), enableErrors });
  });

  scope.get('/rules/:id/archive', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const rule = await ctx.api.read<RuleWire>(`${BASE}/${segment(id)}`);
    return confirmArchive(ctx, reply, archiveOptions(rule));
  });

  scope.post('/rules/:id/archive', async (request, reply) => {
    const ctx = contextOf(request);
    const { id } = request.params as { id: string };
    const result = await ctx.api.post<RuleWire>(`${BASE}/${segment(id)}/archive`);
    if (result.ok) return redirect(request, reply, `/console/rules/${segment(id)}?notice=archived`);
    const rule = await ctx.api.read<RuleWire>(`${BASE}/${segment(id)}`);
    return confirmArchive(ctx, reply, { ...archiveOptions(rule), error: result.message });
  });
}

function archiveOptions(rule: RuleWire) {
  return {
    section: 'rules' as const,
    what: 'rule',
    name: rule.name,
    consequences: html`Tokens matching <strong>${rule.name}</strong> will be refused from now on (reason <code>rule_archived</code>). Its workspace enablements are removed. Tokens already minted stay valid until they expire.`,
    action: `/console/rules/${segment(rule.id)}/archive`,
    cancelHref: `/console/rules/${segment(rule.id)}`,
  };
}
