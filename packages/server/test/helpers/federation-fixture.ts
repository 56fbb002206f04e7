import { newId } from '../../src/domain/ids.ts';
import type { Issuer, JwksConfig, Rule, RuleMatch, ServiceAccount } from '../../src/domain/types.ts';
import type { TestServer } from './start-server.ts';
import { call } from './start-server.ts';

export const DEFAULT_AUDIENCE = 'https://api.anthropic.com';

export interface Federation {
  issuer: Issuer;
  rule: Rule;
  serviceAccount: ServiceAccount;
  defaultWorkspaceId: string;
}

/**
 * Seeds an issuer, a service account and a rule straight into the server's store: the
 * "given" state of exchange tests, independent of the Admin API under test elsewhere.
 */
export async function seedFederation(
  server: TestServer,
  options: {
    issuerUrl: string;
    jwks?: JwksConfig;
    match?: RuleMatch;
    issuer?: Partial<Issuer>;
    rule?: Partial<Rule>;
    serviceAccount?: Partial<ServiceAccount>;
  },
): Promise<Federation> {
  const { stores } = server;
  const org = server.organizationId;
  const now = new Date().toISOString();
  const audited = { created_at: now, updated_at: now, archived_at: null, created_by_actor_id: null, updated_by_actor_id: null, archived_by_actor_id: null };
  const serviceAccount: ServiceAccount = {
    id: newId('serviceAccount'),
    organization_id: org,
    name: `sa-${Math.random().toString(36).slice(2, 10)}`,
    description: null,
    organization_role: 'developer',
    ...audited,
    ...options.serviceAccount,
  };
  await stores.serviceAccounts.insert(serviceAccount);
  const issuer: Issuer = {
    id: newId('issuer'),
    organization_id: org,
    name: `issuer-${Math.random().toString(36).slice(2, 10)}`,
    issuer_url: options.issuerUrl,
    jwks: options.jwks ?? { type: 'discovery' },
    check_jti: true,
    max_jwt_lifetime_seconds: 3600,
    jwks_polling_disabled_at: null,
    poll_status: null,
    ...audited,
    ...options.issuer,
  };
  await stores.issuers.insert(issuer);
  const defaultWorkspace = await stores.workspaces.getDefault(org);
  const rule: Rule = {
    id: newId('rule'),
    organization_id: org,
    name: `rule-${Math.random().toString(36).slice(2, 10)}`,
    description: null,
    issuer_id: issuer.id,
    match: options.match ?? { subject_prefix: 'workload-1' },
    target_service_account_id: serviceAccount.id,
    oauth_scope: 'workspace:developer',
    token_lifetime_seconds: 600,
    applies_to_all_workspaces: false,
    workspace_ids: [defaultWorkspace.id],
    ...audited,
    ...options.rule,
  };
  await stores.rules.insert(rule);
  return { issuer, rule, serviceAccount, defaultWorkspaceId: defaultWorkspace.id };
}

export function exchangeBody(
  federation: Pick<Federation, 'rule'>,
  server: Pick<TestServer, 'organizationId'>,
  assertion: string,
  extra: Record<string, unknown> = {},
) {
  return {
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion,
    federation_rule_id: federation.rule.id,
    organization_id: server.organizationId,
    ...extra,
  };
}

export async function exchange(server: TestServer, federation: Pick<Federation, 'rule'>, assertion: string, extra: Record<string, unknown> = {}) {
  return call(server, 'POST', '/v1/oauth/token', {
    body: exchangeBody(federation, server, assertion, extra),
    headers: { 'anthropic-beta': 'oauth-2025-04-20,oidc-federation-2026-04-01' },
  });
}

/** The newest authentication event for a rule, read from the real store. */
export async function lastEvent(server: TestServer, ruleId: string) {
  const page = await server.stores.authEvents.list(server.organizationId, { limit: 1, cursor: null, ruleId, outcome: null, reason: null });
  return page.items[0] ?? null;
}

export async function eventCount(server: TestServer, ruleId: string): Promise<number> {
  const page = await server.stores.authEvents.list(server.organizationId, { limit: 100, cursor: null, ruleId, outcome: null, reason: null });
  return page.items.length;
}

export const OPAQUE_401 = { type: 'error', error: { type: 'authentication_error', message: 'Authentication failed' } };
