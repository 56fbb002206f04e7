import { checkbox, postForm, select, textArea, textInput, type Choice } from '../components.ts';
import { field, fieldList, type ConsoleContext } from '../context.ts';
import type { FormErrors } from '../form-errors.ts';
import { html, type SafeHtml } from '../html.ts';
import type { IssuerWire, LintWarningWire, RuleWire, ServiceAccountWire } from '../wire.ts';
import { numberOrText } from './issuer-form.ts';
import { workspaceLabel, type ListedWorkspace } from './shared.ts';

/** The rule create/edit form: every `match` field, target, scope, lifetime and workspaces. */

export const RULE_FIELDS = [
  'name',
  'description',
  'issuer_id',
  'target',
  'target.service_account_id',
  'oauth_scope',
  'token_lifetime_seconds',
  'match',
  'match.audience',
  'match.subject_prefix',
  'match.claims',
  'match.condition',
  'applies_to_all_workspaces',
  'workspace_id',
] as const;

const SCOPES: readonly Choice[] = [
  { value: 'workspace:developer', label: 'workspace:developer (use the API in the workspace)' },
  { value: 'workspace:inference', label: 'workspace:inference (inference only)' },
  { value: 'workspace:manage_tunnels', label: 'workspace:manage_tunnels' },
  { value: 'org:admin', label: 'org:admin (manage the organization; admin service accounts only)' },
];

/** Claim rows beyond this are not rendered as empty rows (the API caps claims entries anyway). */
const MAX_CLAIM_ROWS = 64;

export interface RuleFormValues {
  name: string;
  description: string;
  issuer_id: string;
  service_account_id: string;
  oauth_scope: string;
  token_lifetime_seconds: string;
  audience: string;
  subject_prefix: string;
  claims: Array<[string, string]>;
  condition: string;
  applies_to_all_workspaces: boolean;
  workspace_id: string;
}

export function emptyRule(issuerId: string): RuleFormValues {
  return {
    name: '',
    description: '',
    issuer_id: issuerId,
    service_account_id: '',
    oauth_scope: 'workspace:developer',
    token_lifetime_seconds: '3600',
    audience: '',
    subject_prefix: '',
    claims: [],
    condition: '',
    applies_to_all_workspaces: false,
    workspace_id: '',
  };
}

export function ruleValues(rule: RuleWire): RuleFormValues {
  return {
    name: rule.name,
    description: rule.description ?? '',
    issuer_id: rule.issuer_id,
    service_account_id: rule.target.service_account_id,
    oauth_scope: rule.oauth_scope,
    token_lifetime_seconds: String(rule.token_lifetime_seconds),
    audience: rule.match.audience ?? '',
    subject_prefix: rule.match.subject_prefix ?? '',
    claims: Object.entries(rule.match.claims ?? {}),
    condition: rule.match.condition ?? '',
    applies_to_all_workspaces: rule.applies_to_all_workspaces,
    workspace_id: rule.workspace_ids[0] ?? '',
  };
}

export function readRuleForm(body: unknown): RuleFormValues {
  const keys = fieldList(body, 'claim_key');
  const values = fieldList(body, 'claim_value');
  const claims: Array<[string, string]> = [];
  for (let i = 0; i < Math.min(Math.max(keys.length, values.length), MAX_CLAIM_ROWS); i++) {
    const key = (keys[i] ?? '').trim();
    const value = values[i] ?? '';
    if (key !== '' || value !== '') claims.push([key, value]);
  }
  return {
    name: field(body, 'name'),
    description: field(body, 'description'),
    issuer_id: field(body, 'issuer_id'),
    service_account_id: field(body, 'target.service_account_id'),
    oauth_scope: field(body, 'oauth_scope'),
    token_lifetime_seconds: field(body, 'token_lifetime_seconds'),
    audience: field(body, 'match.audience'),
    subject_prefix: field(body, 'match.subject_prefix'),
    claims,
    condition: field(body, 'match.condition'),
    applies_to_all_workspaces: fieldList(body, 'applies_to_all_workspaces').includes('true'),
    workspace_id: field(body, 'workspace_id'),
  };
}

export function matchOf(values: RuleFormValues) {
  return {
    audience: values.audience || null,
    subject_prefix: values.subject_prefix || null,
    claims: values.claims.length > 0 ? Object.fromEntries(values.claims) : null,
    condition: values.condition || null,
  };
}

export function createBody(values: RuleFormValues) {
  return {
    issuer_id: values.issuer_id,
    name: values.name,
    description: values.description || null,
    match: matchOf(values),
    target: { type: 'service_account', service_account_id: values.service_account_id },
    oauth_scope: values.oauth_scope,
    token_lifetime_seconds: numberOrText(values.token_lifetime_seconds),
    applies_to_all_workspaces: values.applies_to_all_workspaces,
    workspace_id: values.applies_to_all_workspaces ? null : values.workspace_id || null,
  };
}

/** Workspaces are managed on the rule page (enablements), so an update leaves them alone. */
export function updateBody(values: RuleFormValues) {
  return {
    name: values.name,
    description: values.description,
    match: matchOf(values),
    target: { type: 'service_account', service_account_id: values.service_account_id },
    oauth_scope: values.oauth_scope,
    token_lifetime_seconds: numberOrText(values.token_lifetime_seconds),
    applies_to_all_workspaces: values.applies_to_all_workspaces,
  };
}

export function claimRow(key: string, value: string): SafeHtml {
  return html`<div class="claim-row">
  <input name="claim_key" value="${key}" aria-label="Claim name" placeholder="claim name, e.g. repository" autocomplete="off" spellcheck="false">
  <span aria-hidden="true">=</span>
  <input name="claim_value" value="${value}" aria-label="Required value" placeholder="exact value" autocomplete="off" spellcheck="false">
  <button type="button" class="button subtle small" hx-get="/console/fragments/nothing" hx-target="closest .claim-row" hx-swap="delete" aria-label="Remove this claim">Remove</button>
</div>`;
}

function claimsEditor(values: RuleFormValues, errors: FormErrors, warning: string | null): SafeHtml {
  const error = errors.for('match.claims');
  const rows = values.claims.length > 0 ? values.claims : [['', ''] as [string, string]];
  return html`<fieldset class="field claims${error ? ' has-error' : ''}">
  <legend>Required claims <span class="optional">(optional)</span></legend>
  <p class="hint" id="claims-hint">Each claim must be present in the token as exactly this string. Use the condition for lists, numbers or patterns.</p>
  <div id="claim-rows">${rows.map(([key, value]) => claimRow(key, value))}</div>
  <button type="button" class="button subtle small" hx-get="/console/rules/claim-row" hx-target="#claim-rows" hx-swap="beforeend">Add a claim</button>
  ${error ? html`<p class="field-error">${error}</p>` : ''}
  ${warning ? html`<p class="field-warning">${warning}</p>` : ''}
</fieldset>`;
}

/** The CEL editor: validated as you type by the same compiler the exchange uses. */
function conditionEditor(values: RuleFormValues, errors: FormErrors, warning: string | null): SafeHtml {
  return textArea({
    name: 'match.condition',
    label: 'Condition (CEL)',
    value: values.condition,
    errors,
    warning,
    rows: 3,
    code: true,
    placeholder: 'claims.environment == "production" && "deploy" in claims.groups',
    hint: html`A CEL expression over <code>claims</code> that must be true. <span id="condition-feedback" class="live-check" aria-live="polite"></span>`,
    extra: html` hx-post="/console/rules/check-condition" hx-trigger="input changed delay:400ms, load" hx-target="#condition-feedback" hx-swap="innerHTML"`,
  });
}

export interface RuleFormOptions {
  mode: 'create' | 'edit';
  action: string;
  values: RuleFormValues;
  errors: FormErrors;
  issuers: IssuerWire[];
  serviceAccounts: ServiceAccountWire[];
  workspaces: ListedWorkspace[];
  warnings?: LintWarningWire[];
}

export function ruleForm(ctx: ConsoleContext, options: RuleFormOptions): SafeHtml {
  const { values, errors } = options;
  const warn = (fieldName: string) =>
    (options.warnings ?? [])
      .filter((w) => w.field === fieldName)
      .map((w) => w.message)
      .join(' ') || null;
  const scopes =
    SCOPES.some((s) => s.value === values.oauth_scope) || values.oauth_scope === ''
      ? SCOPES
      : [...SCOPES, { value: values.oauth_scope, label: values.oauth_scope }];
  const matchError = errors.for('match');
  return postForm(
    {
      action: options.action,
      csrfToken: ctx.csrfToken,
      errors,
      submitLabel: options.mode === 'create' ? 'Create rule' : 'Save changes',
      className: 'rule-form',
    },
    html`<div class="form-grid">
${textInput({ name: 'name', label: 'Name', value: values.name, errors, required: true, hint: 'Lowercase letters, digits and dashes, e.g. "deploy-from-main".' })}
${
  options.mode === 'create'
    ? select({
        name: 'issuer_id',
        label: 'Issuer',
        value: values.issuer_id,
        errors,
        required: true,
        placeholder: 'Choose the issuer of the tokens',
        choices: options.issuers.map((i) => ({ value: i.id, label: `${i.name} — ${i.issuer_url}` })),
      })
    : ''
}
</div>
${textArea({ name: 'description', label: 'Description', value: values.description, errors, rows: 2, warning: warn('description') })}
<fieldset class="group${matchError ? ' has-error' : ''}">
  <legend>Which tokens match</legend>
  ${matchError ? html`<p class="field-error">${matchError}</p>` : ''}
  ${textInput({ name: 'match.audience', label: 'Audience', value: values.audience, errors, warning: warn('match.audience'), hint: 'The aud the token must carry. Empty: the server’s default audience.' })}
  ${textInput({ name: 'match.subject_prefix', label: 'Subject', value: values.subject_prefix, errors, warning: warn('match.subject_prefix'), hint: 'The sub claim, exactly; end with * to match a prefix (repo:acme/app:*).' })}
  ${claimsEditor(values, errors, warn('match.claims'))}
  ${conditionEditor(values, errors, warn('match.condition'))}
</fieldset>
<fieldset class="group">
  <legend>What a matching token gets</legend>
  <div class="form-grid">
  ${select({ name: 'target.service_account_id', label: 'Service account', value: values.service_account_id, errors, required: true, placeholder: 'Choose a service account', choices: options.serviceAccounts.map((sa) => ({ value: sa.id, label: `${sa.name}${sa.organization_role === 'admin' ? ' (admin)' : ''}` })) })}
  ${select({ name: 'oauth_scope', label: 'Scope', value: values.oauth_scope, errors, required: true, choices: scopes })}
  ${textInput({ name: 'token_lifetime_seconds', label: 'Token lifetime (seconds)', value: values.token_lifetime_seconds, errors, type: 'number', warning: warn('token_lifetime_seconds'), hint: '60 to 86400.' })}
  </div>
  ${warn('oauth_scope') ? html`<p class="field-warning">${warn('oauth_scope')}</p>` : ''}
  ${checkbox({ name: 'applies_to_all_workspaces', label: 'Applies to all workspaces', checked: values.applies_to_all_workspaces, errors, hint: 'Otherwise the token is for the workspaces the rule is enabled for.' })}
  ${
    options.mode === 'create'
      ? select({
          name: 'workspace_id',
          label: 'Workspace',
          value: values.workspace_id,
          errors,
          placeholder: 'Choose a workspace',
          choices: options.workspaces.map((w) => ({ value: w.id, label: workspaceLabel(w) })),
          hint: 'Required unless the rule applies to all workspaces. Add more workspaces on the rule’s page.',
        })
      : ''
  }
</fieldset>`,
  );
}
