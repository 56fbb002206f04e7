import { Type } from 'typebox';
import type { AppDeps } from '../app.ts';
import type { Issuer, Rule, RuleMatch, ServiceAccount, Workspace } from '../domain/types.ts';
import { badRequest } from '../http/errors.ts';
import { checkTenantPinning } from '../policy/shared-issuers.ts';
import { RuleValidationError } from '../policy/rule-validation-error.ts';
import { quote } from './memberships.ts';
import { grantsOrgAdmin } from '../domain/scopes.ts';

/** Rule fields (spec §1.6, §4.3–§4.5) and the reference checks a schema cannot make. */

export const TokenLifetime = Type.Integer({ minimum: 60, maximum: 86_400 });
export const OAuthScope = Type.String({ minLength: 1, maxLength: 256 });
/** The matcher block is validated by the policy compiler, which also rejects unknown fields. */
export const MatchInput = Type.Object({});
export const TargetInput = Type.Object({
  type: Type.Literal('service_account'),
  service_account_id: Type.String({ minLength: 1, maxLength: 128 }),
  // Read-time display only; ignored on writes.
  service_account_name: Type.Optional(Type.Unknown()),
});
export const AttributesInput = Type.Record(Type.String(), Type.String());

/** What the admin API needs from the rule matcher: compile-time validation of a `match` block. */
export interface MatchValidator {
  validate(match: RuleMatch): { match: Readonly<RuleMatch> };
}

/** Validates and normalises a match block (every matcher key present, null when unset). */
export function validateMatch(validator: MatchValidator, input: unknown): RuleMatch {
  try {
    const { match } = validator.validate(input as RuleMatch);
    return {
      audience: match.audience ?? null,
      subject_prefix: match.subject_prefix ?? null,
      claims: match.claims ? { ...match.claims } : null,
      condition: match.condition ?? null,
    };
  } catch (err) {
    if (err instanceof RuleValidationError) throw badRequest(`${err.field}: ${err.message}`);
    throw err;
  }
}

/** Spec §4.5: rules under well-known shared issuers must pin the tenant. */
export function assertTenantPinned(issuer: Issuer, match: RuleMatch): void {
  const problem = checkTenantPinning(issuer.issuer_url, match);
  if (problem !== null) throw badRequest(`match: ${problem}`);
}

/** `attributes` (CEL attribute extraction) is not supported yet: only absent, null or {} pass. */
export function assertNoAttributes(attributes: Record<string, string> | null | undefined): void {
  if (attributes && Object.keys(attributes).length > 0) throw badRequest('attributes: attribute extraction is not supported yet; omit it or send null');
}

export async function issuerReference(deps: AppDeps, organizationId: string, id: string): Promise<Issuer> {
  const issuer = await deps.stores.issuers.get(organizationId, id);
  if (!issuer) throw badRequest(`issuer_id: federation issuer ${quote(id)} not found in this organization`);
  if (issuer.archived_at !== null) throw badRequest(`issuer_id: federation issuer ${issuer.id} is archived`);
  return issuer;
}

export async function targetReference(deps: AppDeps, organizationId: string, id: string): Promise<ServiceAccount> {
  const account = await deps.stores.serviceAccounts.get(organizationId, id);
  if (!account) throw badRequest(`target.service_account_id: service account ${quote(id)} not found in this organization`);
  if (account.archived_at !== null) throw badRequest(`target.service_account_id: service account ${account.id} is archived`);
  return account;
}

/** Admin API workspace references are real `wrkspc_` IDs; `default` is an exchange-only alias. */
export async function workspaceReference(deps: AppDeps, organizationId: string, id: string): Promise<Workspace> {
  if (id === 'default') throw badRequest('workspace_id: "default" is only accepted at token exchange; use the default workspace\'s wrkspc_ ID');
  const workspace = await deps.stores.workspaces.get(organizationId, id);
  if (!workspace) throw badRequest(`workspace_id: workspace ${quote(id)} not found in this organization`);
  if (workspace.archived_at !== null) throw badRequest(`workspace_id: workspace ${workspace.id} is archived`);
  return workspace;
}

/** Spec §4.4: a rule may grant org:admin only to an admin service account. */
export function assertScopeFitsTarget(oauthScope: string, account: ServiceAccount): void {
  if (grantsOrgAdmin(oauthScope) && account.organization_role !== 'admin') {
    throw badRequest(
      `oauth_scope: org:admin can only be granted to a service account whose organization_role is admin (${account.id} is ${account.organization_role})`,
    );
  }
}

/** Read-time display names for a batch of rules, each issuer and account looked up once. */
export async function ruleNameLookup(deps: AppDeps, rules: Rule[]) {
  const issuerNames = new Map<string, string | null>();
  const accountNames = new Map<string, string | null>();
  for (const rule of rules) {
    if (!issuerNames.has(rule.issuer_id)) {
      issuerNames.set(rule.issuer_id, (await deps.stores.issuers.get(rule.organization_id, rule.issuer_id))?.name ?? null);
    }
    if (!accountNames.has(rule.target_service_account_id)) {
      const account = await deps.stores.serviceAccounts.get(rule.organization_id, rule.target_service_account_id);
      accountNames.set(rule.target_service_account_id, account?.name ?? null);
    }
  }
  return (rule: Rule) => ({
    issuerName: issuerNames.get(rule.issuer_id) ?? null,
    serviceAccountName: accountNames.get(rule.target_service_account_id) ?? null,
  });
}
