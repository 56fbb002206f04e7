import { grantsOrgAdmin } from '../domain/scopes.ts';
import type { Rule, ServiceAccount, Workspace } from '../domain/types.ts';
import type { ConfigReads } from '../storage/config-cache.ts';
import { ExchangeDenied } from './deny-reasons.ts';

export interface ResolvedTarget {
  serviceAccount: ServiceAccount;
  workspace: Workspace;
}

/** Steps 11–12: the target service account, then the workspace (spec §5.7). */
export async function resolveTarget(
  rule: Rule,
  requested: { serviceAccountId: string | null; workspaceId: string | null },
  stores: ConfigReads,
): Promise<ResolvedTarget> {
  const account = await stores.serviceAccounts.get(rule.organization_id, rule.target_service_account_id);
  if (!account || account.archived_at !== null) throw new ExchangeDenied('service_account_archived');
  if (requested.serviceAccountId !== null && requested.serviceAccountId !== account.id) {
    throw new ExchangeDenied('service_account_mismatch', `requested ${requested.serviceAccountId}, rule targets ${account.id}`);
  }
  if (grantsOrgAdmin(rule.oauth_scope) && account.organization_role !== 'admin') throw new ExchangeDenied('service_account_role');

  const workspace = await resolveWorkspace(rule, requested.workspaceId, stores);
  if (!workspace.is_default && !(await stores.memberships.get(account.id, workspace.id))) {
    throw new ExchangeDenied('workspace_membership', `${account.id} is not a member of ${workspace.id}`);
  }
  return { serviceAccount: account, workspace };
}

async function resolveWorkspace(rule: Rule, requestedId: string | null, stores: ConfigReads): Promise<Workspace> {
  const enabled = (id: string) => rule.applies_to_all_workspaces || rule.workspace_ids.includes(id);

  if (requestedId !== null) {
    const workspace =
      requestedId === 'default' ? await stores.workspaces.getDefault(rule.organization_id) : await stores.workspaces.get(rule.organization_id, requestedId);
    if (!workspace || workspace.archived_at !== null) throw new ExchangeDenied('workspace_not_found', `workspace ${requestedId}`);
    if (!enabled(workspace.id)) throw new ExchangeDenied('workspace_not_enabled', `rule is not enabled for ${workspace.id}`);
    return workspace;
  }
  if (!rule.applies_to_all_workspaces && rule.workspace_ids.length === 1) {
    const only = await stores.workspaces.get(rule.organization_id, rule.workspace_ids[0]!);
    if (!only || only.archived_at !== null) throw new ExchangeDenied('workspace_not_found', 'the only enabled workspace is archived');
    return only;
  }
  const defaultWorkspace = await stores.workspaces.getDefault(rule.organization_id);
  if (enabled(defaultWorkspace.id)) return defaultWorkspace;
  throw new ExchangeDenied('workspace_id_required');
}
