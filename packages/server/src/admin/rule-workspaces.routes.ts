import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../app.ts';
import { badRequest } from '../http/errors.ts';
import { assertMayManageRuleScope, callerOf } from './admin-caller.ts';
import { presentRuleWorkspace, presentRuleWorkspaceDeleted } from './presenters.ts';
import { workspaceReference } from './rule-input.ts';
import { loadRule, RULES_BASE } from './rules.routes.ts';

const Params = Type.Object({ federation_rule_id: Type.String() });
const EnablementParams = Type.Object({ federation_rule_id: Type.String(), workspace_id: Type.String() });
const AddBody = Type.Object({ workspace_id: Type.String({ minLength: 1, maxLength: 128 }) });
/** `limit` and `page` are accepted and ignored: the whole set comes back at once (spec §3.6). */
const ListQuery = Type.Object({ limit: Type.Optional(Type.Unknown()), page: Type.Optional(Type.Unknown()) });

/** Spec §3.6: explicit rule ↔ workspace enablements. */
export async function ruleWorkspaceRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  app.get(`${RULES_BASE}/:federation_rule_id/workspaces`, { schema: { params: Params, querystring: ListQuery } }, async (request) => {
    const caller = callerOf(request);
    const rule = await loadRule(deps, caller.organizationId, request.params.federation_rule_id);
    const enablements = await deps.stores.rules.listWorkspaces(rule.id);
    const data = [];
    for (const e of enablements) {
      const workspace = await deps.stores.workspaces.get(caller.organizationId, e.workspace_id);
      data.push(presentRuleWorkspace(e, workspace?.name ?? null));
    }
    return { data, next_page: null };
  });

  app.post(`${RULES_BASE}/:federation_rule_id/workspaces`, { schema: { params: Params, body: AddBody } }, async (request) => {
    const caller = callerOf(request);
    const rule = await loadRule(deps, caller.organizationId, request.params.federation_rule_id);
    assertMayManageRuleScope(caller, rule.oauth_scope);
    if (rule.archived_at !== null) throw badRequest(`Federation rule ${rule.id} is archived and cannot be enabled for a workspace.`);
    const workspace = await workspaceReference(deps, caller.organizationId, request.body.workspace_id);
    const enablement = await deps.stores.rules.enableWorkspace({
      federation_rule_id: rule.id,
      workspace_id: workspace.id,
      created_at: deps.now().toISOString(),
      created_by_actor_id: caller.actorId,
    });
    // The enable response carries no workspace name (SDK: "null in the enable response").
    return presentRuleWorkspace(enablement, null);
  });

  app.delete(`${RULES_BASE}/:federation_rule_id/workspaces/:workspace_id`, { schema: { params: EnablementParams } }, async (request) => {
    const caller = callerOf(request);
    const rule = await loadRule(deps, caller.organizationId, request.params.federation_rule_id);
    assertMayManageRuleScope(caller, rule.oauth_scope);
    await deps.stores.rules.disableWorkspace(rule.id, request.params.workspace_id);
    return presentRuleWorkspaceDeleted(rule.id, request.params.workspace_id);
  });
}
