import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { segment, type ApiResult } from '../admin-api.ts';
import { badge, section, select, textArea, textInput } from '../components.ts';
import { contextOf, field, sendHtml, type ConsoleContext } from '../context.ts';
import { FormErrors } from '../form-errors.ts';
import { html, type SafeHtml } from '../html.ts';
import type { AllRulesTestWire, CursorList, RuleTestWire, RuleWire, TraceStepWire } from '../wire.ts';
import { reasonDescription } from './events.ts';
import { queryParam, renderPage } from './shared.ts';

const RULES = '/v1/organizations/federation_rules';
const TEST_FIELDS = ['assertion', 'claims', 'workspace_id', 'service_account_id'] as const;
/** The API caps an assertion at 16 KiB; the form refuses far larger pastes before parsing them. */
const MAX_INPUT_LENGTH = 64 * 1024;

const STEP_LABELS: Record<string, string> = {
  rule: 'Rule is live',
  issuer: 'Issuer is live',
  header: 'JWT header',
  iss: 'Issuer (iss)',
  signature: 'Signature',
  required_claims: 'Required claims and times',
  lifetime: 'Token lifetime',
  audience: 'Audience (aud)',
  subject_prefix: 'Subject (sub)',
  claims: 'Required claims',
  condition: 'Condition',
  service_account: 'Service account',
  workspace: 'Workspace',
  replay: 'Replay (jti)',
};

interface TestInput {
  token: string;
  ruleId: string;
  workspaceId: string;
  serviceAccountId: string;
}

/** A pasted JSON object is tested as claims (matching only); anything else as a signed JWT (fully verified). */
export function testBody(input: TestInput): { body: Record<string, unknown> } | { error: string } {
  const text = input.token.trim();
  if (text === '') return { error: 'assertion: paste a JWT, or a JSON object of claims.' };
  if (text.length > MAX_INPUT_LENGTH) return { error: 'assertion: is far larger than any token the server accepts (16 KiB).' };
  const extra = {
    ...(input.workspaceId ? { workspace_id: input.workspaceId } : {}),
    ...(input.serviceAccountId ? { service_account_id: input.serviceAccountId } : {}),
  };
  if (text.startsWith('{')) {
    let claims: unknown;
    try {
      claims = JSON.parse(text);
    } catch {
      return { error: 'claims: is not valid JSON. Paste a JSON object such as {"sub": "repo:acme/app:ref:refs/heads/main"}.' };
    }
    return { body: { claims, ...extra } };
  }
  return { body: { assertion: text, ...extra } };
}

function stepRow(step: TraceStepWire): SafeHtml {
  const status = step.status === 'pass' ? badge('pass', 'ok') : step.status === 'fail' ? badge('fail', 'bad') : badge('skipped', 'muted');
  return html`<li class="step ${step.status}">
  <div class="step-head">${status} <strong>${STEP_LABELS[step.step] ?? step.step}</strong> <code class="muted">${step.step}</code></div>
  ${step.expected !== undefined || step.actual !== undefined ? html`<dl class="step-values">${step.expected !== undefined ? html`<dt>Expected</dt><dd><code>${step.expected}</code></dd>` : ''}${step.actual !== undefined ? html`<dt>Token has</dt><dd><code>${step.actual}</code></dd>` : ''}</dl>` : ''}
  ${step.hint ? html`<p class="near-miss${step.status === 'fail' ? ' strong' : ''}"><span class="near-miss-label">Hint</span> ${step.hint}</p>` : ''}
</li>`;
}

export function traceView(trace: RuleTestWire): SafeHtml {
  const description = reasonDescription(trace.reason);
  return html`<div class="trace" id="trace-result">
  ${
    trace.outcome === 'match'
      ? html`<div class="alert ok" role="status"><strong>Match.</strong> This token would be exchanged${trace.mode === 'claims' ? ' (claims only: the signature and times were not checked)' : ''}.</div>`
      : html`<div class="alert error" role="status"><p><strong>No match: fails at <span class="failed-step">${STEP_LABELS[trace.failed_step ?? ''] ?? trace.failed_step}</span></strong> (reason <code>${trace.reason ?? '—'}</code>)</p>${description ? html`<p>${description}</p>` : ''}</div>`
  }
  <ol class="steps">${trace.steps.map(stepRow)}</ol>
</div>`;
}

function allRulesView(result: AllRulesTestWire): SafeHtml {
  if (result.results.length === 0) {
    return html`<div class="trace" id="trace-result">
  <div class="alert warn" role="status"><p><strong>No rule could accept this token.</strong> ${result.iss ? html`Its iss is <code>${result.iss}</code> and no live issuer has exactly that URL.` : 'It has no readable iss claim.'}</p></div>
  ${result.issuer_hints.length > 0 ? html`<ul class="near-misses">${result.issuer_hints.map((h) => html`<li class="near-miss strong"><span class="near-miss-label">Hint</span> <a href="/console/issuers/${segment(h.issuer_id)}"><code>${h.issuer_url}</code></a>: ${h.hint}</li>`)}</ul>` : ''}
</div>`;
  }
  const matched = result.matched_rule_ids.length;
  return html`<div class="trace" id="trace-result">
  <div class="alert ${matched > 0 ? 'ok' : 'error'}" role="status"><strong>${matched > 0 ? `${matched} of ${result.results.length} rule(s) match.` : `None of ${result.results.length} candidate rule(s) match.`}</strong>${result.truncated ? ' Only the newest 100 rules were tested.' : ''}</div>
  <ul class="rule-results">${result.results.map(
    (r) => html`<li class="${r.outcome === 'match' ? 'pass' : 'fail'}">
    ${r.outcome === 'match' ? badge('match', 'ok') : badge('no match', 'bad')} <a href="/console/test?rule_id=${segment(r.rule_id)}"><strong>${r.rule_name}</strong></a>
    ${r.failed_step ? html` fails at <span class="failed-step">${STEP_LABELS[r.failed_step] ?? r.failed_step}</span> (<code>${r.reason ?? ''}</code>)` : ''}
    ${r.hint ? html`<p class="near-miss strong"><span class="near-miss-label">Hint</span> ${r.hint}</p>` : ''}
  </li>`,
  )}</ul>
  <p class="muted">Choose a single rule above to see every step.</p>
</div>`;
}

async function runTest(ctx: ConsoleContext, input: TestInput): Promise<{ view: SafeHtml | null; errors: FormErrors }> {
  const prepared = testBody(input);
  if ('error' in prepared) return { view: null, errors: FormErrors.fromApiMessage(prepared.error, TEST_FIELDS) };
  const result: ApiResult<RuleTestWire | AllRulesTestWire> = input.ruleId
    ? await ctx.api.post<RuleTestWire>(`${RULES}/${segment(input.ruleId)}/test`, prepared.body)
    : await ctx.api.post<AllRulesTestWire>(`${RULES}/test`, prepared.body);
  if (!result.ok) return { view: null, errors: FormErrors.fromApiMessage(result.message, TEST_FIELDS) };
  return { view: input.ruleId ? traceView(result.body as RuleTestWire) : allRulesView(result.body as AllRulesTestWire), errors: FormErrors.none() };
}

function tokenErrors(errors: FormErrors): FormErrors {
  // The textarea holds both modes: an error about claims belongs to it too.
  const merged = FormErrors.none();
  for (const message of errors.generalMessages) merged.addGeneral(message);
  const textError = errors.for('assertion') ?? errors.for('claims');
  if (textError) merged.set('token', textError);
  for (const name of ['workspace_id', 'service_account_id']) {
    const message = errors.for(name);
    if (message) merged.set(name, message);
  }
  return merged;
}

async function testPage(ctx: ConsoleContext, reply: FastifyReply, input: TestInput, outcome: { view: SafeHtml | null; errors: FormErrors }) {
  const rules = await ctx.api.read<CursorList<RuleWire>>(RULES, { limit: 100 });
  const errors = tokenErrors(outcome.errors);
  const general = errors.generalMessages;
  const form = html`<form method="post" action="/console/test" class="form" hx-post="/console/test/run" hx-target="#test-output" hx-swap="innerHTML" novalidate>
  <input type="hidden" name="_csrf" value="${ctx.csrfToken}">
  ${general.length > 0 ? html`<div class="alert error" role="alert">${general.map((m) => html`<p>${m}</p>`)}</div>` : ''}
  ${textArea({ name: 'token', label: 'Token or claims', value: input.token, errors, required: true, rows: 6, code: true, placeholder: 'eyJhbGciOiJSUzI1NiIsImtpZCI6… or {"sub": "…", "aud": "…"}', hint: 'A JWT is verified for real (keys, signature, times); a JSON object of claims is checked against the match rules only. Nothing is recorded and no token is issued.' })}
  <div class="form-grid">
  ${select({ name: 'rule_id', label: 'Rule', value: input.ruleId, errors, placeholder: 'All rules of the token’s issuer', choices: rules.data.map((r) => ({ value: r.id, label: r.name })) })}
  ${textInput({ name: 'workspace_id', label: 'Requested workspace ID', value: input.workspaceId, errors, placeholder: 'wrkspc_… (as the workload would send it)' })}
  ${textInput({ name: 'service_account_id', label: 'Requested service account ID', value: input.serviceAccountId, errors, placeholder: 'svac_…' })}
  </div>
  <div class="form-actions"><button type="submit" class="button primary">Test</button></div>
</form>`;
  return renderPage(
    ctx,
    reply,
    { title: 'Test a token', section: 'test', lead: 'Why would this token be refused? Each check of the exchange, in order, with hints for near misses.' },
    html`${section('Token', form)}<div id="test-output" aria-live="polite">${outcome.view ?? ''}</div>`,
  );
}

function readInput(request: FastifyRequest): TestInput {
  return {
    token: field(request.body, 'token'),
    ruleId: field(request.body, 'rule_id'),
    workspaceId: field(request.body, 'workspace_id'),
    serviceAccountId: field(request.body, 'service_account_id'),
  };
}

/** "Test a token": the rule dry-run API (docs/diagnostics.md) rendered as a step-by-step trace. */
export function testTokenPages(scope: FastifyInstance): void {
  scope.get('/test', async (request, reply) => {
    const input = { token: '', ruleId: queryParam(request.query, 'rule_id'), workspaceId: '', serviceAccountId: '' };
    return testPage(contextOf(request), reply, input, { view: null, errors: FormErrors.none() });
  });

  // Without JavaScript: the whole page again, with the result under the form.
  scope.post('/test', async (request, reply) => {
    const ctx = contextOf(request);
    const input = readInput(request);
    const outcome = await runTest(ctx, input);
    return testPage(ctx, reply, input, outcome);
  });

  // With htmx: only the result (or the errors), swapped in under the form.
  scope.post('/test/run', async (request, reply) => {
    const outcome = await runTest(contextOf(request), readInput(request));
    if (outcome.view) return sendHtml(reply, outcome.view);
    const errors = tokenErrors(outcome.errors);
    const messages = [
      ...errors.generalMessages,
      ...['token', 'workspace_id', 'service_account_id'].map((name) => errors.for(name)).filter((m): m is string => m !== null),
    ];
    return sendHtml(reply, html`<div class="alert error" role="alert">${messages.map((m) => html`<p>${m}</p>`)}</div>`);
  });
}
