import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../app.ts';
import { newId } from '../domain/ids.ts';
import type { Rule } from '../domain/types.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { assertMayManageRuleScope, callerOf, createdBy } from './admin-caller.ts';
import { Description, IncludeArchived, Nullable, Slug } from './common-schemas.ts';
import { quote } from './memberships.ts';
import { cursorQuery, PageCursorQuery } from './pagination.ts';
import { presentRule } from './presenters.ts';
import {
  assertNoAttributes,
  assertScopeFitsTarget,
  assertTenantPinned,
  AttributesInput,
  issuerReference,
  MatchInput,
  OAuthScope,
  ruleNameLookup,
  targetReference,
  TargetInput,
  TokenLifetime,
  validateMatch,
  workspaceReference,
} from './rule-input.ts';
import { normalizeScope } from './scopes.ts';

const Params = Type.Object({ federation_rule_id: Type.String() });
const WorkspaceIdInput = Type.String({ minLength: 1, maxLength: 128 });

const CreateBody = Type.Object({
  issuer_id: Type.String({ minLength: 1, maxLength: 128 }),
  match: MatchInput,
  name: Slug,
  oauth_scope: OAuthScope,
  target: TargetInput,
  applies_to_all_workspaces: Type.Optional(Nullable(Type.Boolean())),
  workspace_id: Type.Optional(Nullable(WorkspaceIdInput)),
  description: Type.Optional(Nullable(Description)),
  token_lifetime_seconds: Type.Optional(Nullable(TokenLifetime)),
  attributes: Type.Optional(Nullable(AttributesInput)),
});

const UpdateBody = Type.Object({
  name: Type.Optional(Nullable(Slug)),
  description: Type.Optional(Nullable(Description)),
  match: Type.Optional(Nullable(MatchInput)),
  target: Type.Optional(Nullable(TargetInput)),
  oauth_scope: Type.Optional(Nullable(OAuthScope)),
  token_lifetime_seconds: Type.Optional(Nullable(TokenLifetime)),
  applies_to_all_workspaces: Type.Optional(Nullable(Type.Boolean())),
  workspace_id: Type.Optional(Nullable(WorkspaceIdInput)),
  attributes: Type.Optional(Nullable(AttributesInput)),
});

const ListQuery = Type.Object({
  ...PageCursorQuery,
  include_archived: Type.Optional(IncludeArchived),
  issuer_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
});

const DEFAULT_TOKEN_LIFETIME = 3600;
export const RULES_BASE = '/v1/organizations/federation_rules';

/** Spec §3.5: federation rules. */
export async function ruleRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  const matchValidator = deps.matching;

  async function present(rule: Rule) {
    return presentRule(rule, (await ruleNameLookup(deps, [rule]))(rule));
  }

  app.post(RULES_BASE, { schema: { body: CreateBody } }, async (request) => {
    const caller = callerOf(request);
    const body = request.body;
    const oauthScope = normalizeScope(body.oauth_scope);
    assertMayManageRuleScope(caller, oauthScope);
    assertNoAttributes(body.attributes);
    const issuer = await issuerReference(deps, caller.organizationId, body.issuer_id);
    const account = await targetReference(deps, caller.organizationId, body.target.service_account_id);
    assertScopeFitsTarget(oauthScope, account);
    const match = validateMatch(matchValidator, body.match);
    assertTenantPinned(issuer, match);
    const appliesToAll = body.applies_to_all_workspaces ?? false;
    let workspaceIds: string[] = [];
    if (body.workspace_id != null) workspaceIds = [(await workspaceReference(deps, caller.organizationId, body.workspace_id)).id];
    else if (!appliesToAll) throw badRequest('workspace_id: Field required unless applies_to_all_workspaces is true');

    const now = deps.now().toISOString();
    const rule: Rule = {
      id: newId('rule'),
      organization_id: caller.organizationId,
      name: body.name,
      description: body.description ?? null,
      issuer_id: issuer.id,
      match,
      target_service_account_id: account.id,
      oauth_scope: oauthScope,
      token_lifetime_seconds: body.token_lifetime_seconds ?? DEFAULT_TOKEN_LIFETIME,
      applies_to_all_workspaces: appliesToAll,
      workspace_ids: workspaceIds,
      ...createdBy(caller, now),
    };
    await deps.stores.rules.insert(rule);
    return presentRule(rule, { issuerName: issuer.name, serviceAccountName: account.name });
  });

  app.get(RULES_BASE, { schema: { querystring: ListQuery } }, async (request) => {
    const caller = callerOf(request);
    const page = await deps.stores.rules.list(caller.organizationId, {
      ...cursorQuery(request.query),
      includeArchived: request.query.include_archived ?? false,
      issuerId: request.query.issuer_id ?? null,
    });
    const names = await ruleNameLookup(deps, page.items);
    return { data: page.items.map((rule) => presentRule(rule, names(rule))), next_page: page.nextCursor };
  });

  app.get(`${RULES_BASE}/:federation_rule_id`, { schema: { params: Params } }, async (request) => {
    return present(await loadRule(deps, callerOf(request).organizationId, request.params.federation_rule_id));
  });

  app.post(`${RULES_BASE}/:federation_rule_id`, { schema: { params: Params, body: UpdateBody } }, async (request) => {
    const caller = callerOf(request);
    const rule = await loadRule(deps, caller.organizationId, request.params.federation_rule_id);
    if (rule.archived_at !== null) throw badRequest(`Federation rule ${rule.id} is archived and cannot be updated; create a new one instead.`);
    assertMayManageRuleScope(caller, rule.oauth_scope);
    const body = request.body;
    const oauthScope = body.oauth_scope != null ? normalizeScope(body.oauth_scope) : rule.oauth_scope;
    assertMayManageRuleScope(caller, oauthScope);
    assertNoAttributes(body.attributes);

    let targetId = rule.target_service_account_id;
    if (body.target != null || body.oauth_scope != null) {
      const account = await targetReference(deps, caller.organizationId, body.target?.service_account_id ?? rule.target_service_account_id);
      assertScopeFitsTarget(oauthScope, account);
      targetId = account.id;
    }
    const match = body.match != null ? validateMatch(matchValidator, body.match) : rule.match;
    // Re-checked on every update: a stored match that no longer conforms must be fixed in the same request.
    const issuer = await deps.stores.issuers.get(caller.organizationId, rule.issuer_id);
    if (issuer) assertTenantPinned(issuer, match);

    let workspaceIds = rule.workspace_ids;
    if (body.workspace_id != null) {
      if (rule.workspace_ids.length > 1) {
        throw badRequest('workspace_id: this rule is enabled for more than one workspace; use the /workspaces sub-resource instead');
      }
      workspaceIds = [(await workspaceReference(deps, caller.organizationId, body.workspace_id)).id];
    }
    const appliesToAll = body.applies_to_all_workspaces ?? rule.applies_to_all_workspaces;
    if (body.applies_to_all_workspaces === false && workspaceIds.length === 0) {
      throw badRequest('applies_to_all_workspaces: cannot be false while the rule is enabled for no workspace; send workspace_id too');
    }

    const updated: Rule = {
      ...rule,
      name: body.name ?? rule.name,
      description: body.description === undefined ? rule.description : (body.description ?? ''),
      match,
      target_service_account_id: targetId,
      oauth_scope: oauthScope,
      token_lifetime_seconds: body.token_lifetime_seconds ?? rule.token_lifetime_seconds,
      applies_to_all_workspaces: appliesToAll,
      workspace_ids: workspaceIds,
      updated_at: deps.now().toISOString(),
      updated_by_actor_id: caller.actorId,
    };
    await deps.stores.rules.update(updated);
    return present(updated);
  });

  app.post(`${RULES_BASE}/:federation_rule_id/archive`, { schema: { params: Params } }, async (request) => {
    const caller = callerOf(request);
    const rule = await loadRule(deps, caller.organizationId, request.params.federation_rule_id);
    assertMayManageRuleScope(caller, rule.oauth_scope);
    if (rule.archived_at !== null) return present(rule);
    const now = deps.now().toISOString();
    // Archiving clears the explicit enablements; applies_to_all_workspaces is left as it was.
    const archived: Rule = {
      ...rule,
      workspace_ids: [],
      archived_at: now,
      archived_by_actor_id: caller.actorId,
      updated_at: now,
      updated_by_actor_id: caller.actorId,
    };
    await deps.stores.rules.update(archived);
    return present(archived);
  });
}

export async function loadRule(deps: AppDeps, organizationId: string, id: string): Promise<Rule> {
  const rule = await deps.stores.rules.get(organizationId, id);
  if (!rule) throw notFound(`Federation rule ${quote(id)} not found.`);
  return rule;
}
