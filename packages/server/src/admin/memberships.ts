import type { AppDeps } from '../app.ts';
import type { Caller } from '../auth/caller.ts';
import type { Membership, ServiceAccount, Workspace, WorkspaceRole } from '../domain/types.ts';
import { badRequest, notFound } from '../http/errors.ts';
import type { PageCursorBody } from './pagination.ts';
import { presentMembership, presentMembershipDeleted } from './presenters.ts';

/**
 * Service-account ↔ workspace memberships (spec §3.2, §3.3), shared by both mirror views.
 * The default-workspace membership every account has is synthesised, never stored.
 */

type Where = 'path' | 'body';

/** A workspace named in the path is a 404 when unknown; one named in a body is a bad reference (400). */
export async function workspaceForMembership(deps: AppDeps, organizationId: string, workspaceId: string, where: Where): Promise<Workspace> {
  const workspace = await deps.stores.workspaces.get(organizationId, workspaceId);
  if (!workspace) {
    if (where === 'path') throw notFound(`Workspace ${quote(workspaceId)} not found.`);
    throw badRequest(`workspace_id: workspace ${quote(workspaceId)} not found in this organization`);
  }
  if (workspace.archived_at !== null) throw badRequest(`Workspace ${workspace.id} is archived; its memberships cannot be read or changed.`);
  return workspace;
}

export async function serviceAccountForMembership(deps: AppDeps, organizationId: string, serviceAccountId: string, where: Where): Promise<ServiceAccount> {
  const account = await deps.stores.serviceAccounts.get(organizationId, serviceAccountId);
  if (!account) {
    if (where === 'path') throw notFound(`Service account ${quote(serviceAccountId)} not found.`);
    throw badRequest(`service_account_id: service account ${quote(serviceAccountId)} not found in this organization`);
  }
  return account;
}

export function implicitMembership(account: ServiceAccount, defaultWorkspace: Workspace): Membership {
  return {
    service_account_id: account.id,
    workspace_id: defaultWorkspace.id,
    workspace_role: 'workspace_user',
    created_at: account.created_at,
    created_by_actor_id: account.created_by_actor_id,
  };
}

/** Upsert: an existing explicit membership gets its role replaced. */
export async function addMembership(deps: AppDeps, caller: Caller, account: ServiceAccount, workspace: Workspace, role: WorkspaceRole) {
  if (account.archived_at !== null) throw badRequest(`Service account ${account.id} is archived and cannot be added to a workspace.`);
  const saved = await deps.stores.memberships.upsert({
    service_account_id: account.id,
    workspace_id: workspace.id,
    workspace_role: role,
    created_at: deps.now().toISOString(),
    created_by_actor_id: caller.actorId,
  });
  return presentMembership(saved);
}

/** Idempotent. Against the implicit default membership it is a no-op; an explicit default row reverts to implicit. */
export async function removeMembership(deps: AppDeps, account: ServiceAccount, workspace: Workspace) {
  await deps.stores.memberships.delete(account.id, workspace.id);
  return presentMembershipDeleted(account.id, workspace.id);
}

/**
 * SA → workspaces. Page 1 starts with the implicit default membership unless an explicit default
 * row exists (so with limit=1 it may hold two entries). An archived account has no memberships:
 * its first page is empty and any cursor is stale (400).
 */
export async function listWorkspacesOfAccount(
  deps: AppDeps,
  account: ServiceAccount,
  query: { limit: number; cursor: string | null },
): Promise<PageCursorBody<ReturnType<typeof presentMembership>>> {
  if (account.archived_at !== null) {
    if (query.cursor !== null) throw badRequest('page: the page cursor no longer matches an active membership; restart from the first page');
    return { data: [], next_page: null };
  }
  const page = await deps.stores.memberships.listForServiceAccount(account.id, query);
  const data = page.items.map((m) => presentMembership(m));
  if (query.cursor === null) {
    const defaultWorkspace = await deps.stores.workspaces.getDefault(account.organization_id);
    if (!(await deps.stores.memberships.get(account.id, defaultWorkspace.id))) {
      data.unshift(presentMembership(implicitMembership(account, defaultWorkspace), true));
    }
  }
  return { data, next_page: page.nextCursor };
}

/** Workspace → one account: the explicit row, else the implicit default membership, else 404. */
export async function getMembership(deps: AppDeps, account: ServiceAccount, workspace: Workspace) {
  if (account.archived_at !== null) throw notFound(`Service account ${account.id} is archived.`);
  const explicit = await deps.stores.memberships.get(account.id, workspace.id);
  if (explicit) return presentMembership(explicit);
  if (workspace.is_default) return presentMembership(implicitMembership(account, workspace), true);
  throw notFound(`Service account ${account.id} is not a member of workspace ${workspace.id}.`);
}

/** Only explicit memberships can change role; the implicit one has no row (404: add it explicitly instead). */
export async function updateMembershipRole(deps: AppDeps, account: ServiceAccount, workspace: Workspace, role: WorkspaceRole) {
  if (account.archived_at !== null) throw badRequest(`Service account ${account.id} is archived and cannot be updated.`);
  const explicit = await deps.stores.memberships.get(account.id, workspace.id);
  if (!explicit) {
    throw notFound(
      workspace.is_default
        ? `Service account ${account.id} has only the implicit default-workspace membership; add it explicitly to set a role.`
        : `Service account ${account.id} is not a member of workspace ${workspace.id}.`,
    );
  }
  return presentMembership(await deps.stores.memberships.upsert({ ...explicit, workspace_role: role }));
}

export function quote(id: string): string {
  return JSON.stringify(id.slice(0, 128));
}
