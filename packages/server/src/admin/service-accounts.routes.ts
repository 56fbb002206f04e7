import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../app.ts';
import { newId } from '../domain/ids.ts';
import type { ServiceAccount } from '../domain/types.ts';
import { badRequest } from '../http/errors.ts';
import { assertMayGrantAdminRole, callerOf, createdBy } from './admin-caller.ts';
import { Description, IncludeArchived, NoBillingWorkspaceRole, Nullable, Slug, TaggedIdString } from './common-schemas.ts';
import { addMembership, listWorkspacesOfAccount, removeMembership, serviceAccountForMembership, workspaceForMembership } from './memberships.ts';
import { cursorQuery, PageCursorQuery, pageCursorBody } from './pagination.ts';
import { presentServiceAccount } from './presenters.ts';

const OrganizationRole = Type.Enum(['developer', 'admin']);
const Params = Type.Object({ service_account_id: Type.String() });

const CreateBody = Type.Object({
  name: Slug,
  description: Type.Optional(Nullable(Description)),
  organization_role: Type.Optional(Nullable(OrganizationRole)),
});

const UpdateBody = Type.Object({
  description: Type.Optional(Nullable(Description)),
  organization_role: Type.Optional(Nullable(OrganizationRole)),
});

const ListQuery = Type.Object({ ...PageCursorQuery, include_archived: Type.Optional(IncludeArchived) });

const MembershipParams = Type.Object({ service_account_id: Type.String(), workspace_id: Type.String() });
const AddMembershipBody = Type.Object({ workspace_id: TaggedIdString, workspace_role: NoBillingWorkspaceRole });

const BASE = '/v1/organizations/service_accounts';

/** Spec §3.1 and §3.2: service accounts and their workspace memberships. */
export async function serviceAccountRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  const load = (organizationId: string, id: string) => serviceAccountForMembership(deps, organizationId, id, 'path');

  app.post(BASE, { schema: { body: CreateBody } }, async (request) => {
    const caller = callerOf(request);
    const body = request.body;
    const role = body.organization_role ?? 'developer';
    if (role === 'admin') assertMayGrantAdminRole(caller);
    const now = deps.now().toISOString();
    const account: ServiceAccount = {
      id: newId('serviceAccount'),
      organization_id: caller.organizationId,
      name: body.name,
      description: body.description ?? null,
      organization_role: role,
      ...createdBy(caller, now),
    };
    await deps.stores.serviceAccounts.insert(account);
    return presentServiceAccount(account);
  });

  app.get(BASE, { schema: { querystring: ListQuery } }, async (request) => {
    const caller = callerOf(request);
    const page = await deps.stores.serviceAccounts.list(caller.organizationId, {
      ...cursorQuery(request.query),
      includeArchived: request.query.include_archived ?? false,
    });
    return pageCursorBody(page, presentServiceAccount);
  });

  app.get(`${BASE}/:service_account_id`, { schema: { params: Params } }, async (request) => {
    return presentServiceAccount(await load(callerOf(request).organizationId, request.params.service_account_id));
  });

  app.post(`${BASE}/:service_account_id`, { schema: { params: Params, body: UpdateBody } }, async (request) => {
    const caller = callerOf(request);
    // The name is immutable; the real API's schema has no such field, so say so instead of ignoring it.
    if (Object.hasOwn(request.body as object, 'name')) throw badRequest('name: a service account name cannot be changed');
    const account = await load(caller.organizationId, request.params.service_account_id);
    if (account.archived_at !== null) throw badRequest(`Service account ${account.id} is archived and cannot be updated; create a new one instead.`);
    const { description, organization_role: role } = request.body;
    if (role === 'admin') assertMayGrantAdminRole(caller);
    const updated: ServiceAccount = {
      ...account,
      // null clears the description; the SDK documents it as stored as an empty string.
      description: description === undefined ? account.description : (description ?? ''),
      organization_role: role ?? account.organization_role,
      updated_at: deps.now().toISOString(),
      updated_by_actor_id: caller.actorId,
    };
    await deps.stores.serviceAccounts.update(updated);
    return presentServiceAccount(updated);
  });

  app.post(`${BASE}/:service_account_id/archive`, { schema: { params: Params } }, async (request) => {
    const caller = callerOf(request);
    const account = await load(caller.organizationId, request.params.service_account_id);
    if (account.archived_at !== null) return presentServiceAccount(account);
    const live = await deps.stores.rules.countLive({ targetServiceAccountId: account.id });
    if (live > 0) {
      throw badRequest(`Service account ${account.id} is still the target of ${live} live federation rule(s); archive or retarget them first.`);
    }
    const now = deps.now().toISOString();
    const archived: ServiceAccount = {
      ...account,
      archived_at: now,
      archived_by_actor_id: caller.actorId,
      updated_at: now,
      updated_by_actor_id: caller.actorId,
    };
    await deps.stores.serviceAccounts.update(archived);
    return presentServiceAccount(archived);
  });

  app.get(`${BASE}/:service_account_id/workspaces`, { schema: { params: Params, querystring: Type.Object(PageCursorQuery) } }, async (request) => {
    const caller = callerOf(request);
    const account = await load(caller.organizationId, request.params.service_account_id);
    return listWorkspacesOfAccount(deps, account, cursorQuery(request.query));
  });

  app.post(`${BASE}/:service_account_id/workspaces`, { schema: { params: Params, body: AddMembershipBody } }, async (request) => {
    const caller = callerOf(request);
    const account = await load(caller.organizationId, request.params.service_account_id);
    const workspace = await workspaceForMembership(deps, caller.organizationId, request.body.workspace_id, 'body');
    return addMembership(deps, caller, account, workspace, request.body.workspace_role);
  });

  app.delete(`${BASE}/:service_account_id/workspaces/:workspace_id`, { schema: { params: MembershipParams } }, async (request) => {
    const caller = callerOf(request);
    const account = await load(caller.organizationId, request.params.service_account_id);
    const workspace = await workspaceForMembership(deps, caller.organizationId, request.params.workspace_id, 'path');
    return removeMembership(deps, account, workspace);
  });
}
