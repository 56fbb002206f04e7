import { createHash } from 'node:crypto';
import type { Issuer, JwksConfig, Membership, Rule, RuleWorkspace, ServiceAccount, Workspace } from '../domain/types.ts';

/**
 * Domain objects → wire objects, field for field as the SDK's `.d.ts` files describe them
 * (resources/organization/**). Rules carry the beta superset (`attributes`, `workspace_id`), which
 * GA clients ignore (spec §2.6).
 */

export function presentServiceAccount(sa: ServiceAccount) {
  return {
    id: sa.id,
    type: 'service_account' as const,
    name: sa.name,
    description: sa.description,
    organization_role: sa.organization_role,
    created_at: sa.created_at,
    updated_at: sa.updated_at,
    archived_at: sa.archived_at,
    created_by_actor_id: sa.created_by_actor_id,
    updated_by_actor_id: sa.updated_by_actor_id,
    archived_by_actor_id: sa.archived_by_actor_id,
  };
}

export function presentMembership(m: Membership, implicit = false) {
  return {
    type: 'service_account_workspace_member' as const,
    service_account_id: m.service_account_id,
    workspace_id: m.workspace_id,
    workspace_role: m.workspace_role,
    implicit,
    created_by_actor_id: m.created_by_actor_id,
  };
}

export function presentMembershipDeleted(serviceAccountId: string, workspaceId: string) {
  return { type: 'service_account_workspace_member_deleted' as const, service_account_id: serviceAccountId, workspace_id: workspaceId };
}

function presentJwks(jwks: JwksConfig) {
  switch (jwks.type) {
    case 'discovery':
      return { type: jwks.type, discovery_base: jwks.discovery_base ?? null, ca_cert_pem: jwks.ca_cert_pem ?? null };
    case 'explicit_url':
      return { type: jwks.type, url: jwks.url, ca_cert_pem: jwks.ca_cert_pem ?? null };
    case 'inline':
      return { type: jwks.type, keys: jwks.keys };
  }
}

export function presentIssuer(issuer: Issuer) {
  return {
    id: issuer.id,
    type: 'federation_issuer' as const,
    name: issuer.name,
    issuer_url: issuer.issuer_url,
    jwks: presentJwks(issuer.jwks),
    check_jti: issuer.check_jti,
    max_jwt_lifetime_seconds: issuer.max_jwt_lifetime_seconds,
    poll_status: issuer.poll_status,
    jwks_polling_disabled_at: issuer.jwks_polling_disabled_at,
    created_at: issuer.created_at,
    updated_at: issuer.updated_at,
    archived_at: issuer.archived_at,
    created_by_actor_id: issuer.created_by_actor_id,
    updated_by_actor_id: issuer.updated_by_actor_id,
    archived_by_actor_id: issuer.archived_by_actor_id,
  };
}

/** Read-time display names of the rule's issuer and target (null when they can't be found). */
export interface RuleNames {
  issuerName: string | null;
  serviceAccountName: string | null;
}

export function presentRule(rule: Rule, names: RuleNames) {
  return {
    id: rule.id,
    type: 'federation_rule' as const,
    name: rule.name,
    description: rule.description,
    issuer_id: rule.issuer_id,
    issuer_name: names.issuerName,
    match: {
      audience: rule.match.audience ?? null,
      subject_prefix: rule.match.subject_prefix ?? null,
      claims: rule.match.claims ?? null,
      condition: rule.match.condition ?? null,
    },
    target: { type: 'service_account' as const, service_account_id: rule.target_service_account_id, service_account_name: names.serviceAccountName },
    oauth_scope: rule.oauth_scope,
    token_lifetime_seconds: rule.token_lifetime_seconds,
    applies_to_all_workspaces: rule.applies_to_all_workspaces,
    workspace_ids: rule.workspace_ids,
    // OpenWIF has no legacy single-workspace binding; report the only enablement when there is one.
    workspace_id: rule.workspace_ids.length === 1 ? (rule.workspace_ids[0] ?? null) : null,
    attributes: null,
    created_at: rule.created_at,
    updated_at: rule.updated_at,
    archived_at: rule.archived_at,
    created_by_actor_id: rule.created_by_actor_id,
    updated_by_actor_id: rule.updated_by_actor_id,
    archived_by_actor_id: rule.archived_by_actor_id,
  };
}

export function presentRuleWorkspace(e: RuleWorkspace, workspaceName: string | null) {
  return {
    type: 'federation_rule_workspace' as const,
    federation_rule_id: e.federation_rule_id,
    workspace_id: e.workspace_id,
    workspace_name: workspaceName,
    created_at: e.created_at,
    created_by_actor_id: e.created_by_actor_id,
  };
}

export function presentRuleWorkspaceDeleted(ruleId: string, workspaceId: string) {
  return { type: 'federation_rule_workspace_deleted' as const, federation_rule_id: ruleId, workspace_id: workspaceId };
}

export function presentWorkspace(w: Workspace) {
  return {
    id: w.id,
    type: 'workspace' as const,
    name: w.name,
    display_color: w.display_color,
    tags: w.tags,
    data_residency: w.data_residency,
    created_at: w.created_at,
    archived_at: w.archived_at,
    compartment_id: compartmentId(w.id),
    // CMEK and user profiles are not supported: always null (docs/compatibility.md).
    external_key_id: null,
    user_profile_id: null,
  };
}

/** A stable UUID-shaped value per workspace; OpenWIF has no encryption compartments to report. */
function compartmentId(workspaceId: string): string {
  const h = createHash('sha256').update(`compartment:${workspaceId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
