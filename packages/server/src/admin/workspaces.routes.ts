import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../app.ts';
import { newId } from '../domain/ids.ts';
import type { Workspace } from '../domain/types.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { callerOf } from './admin-caller.ts';
import { NoBillingWorkspaceRole, Nullable, TaggedIdString } from './common-schemas.ts';
import {
  addMembership,
  getMembership,
  quote,
  removeMembership,
  serviceAccountForMembership,
  updateMembershipRole,
  workspaceForMembership,
} from './memberships.ts';
import { cursorQuery, PageCursorQuery, pageBody, pageCursorBody, WorkspacePageQuery, workspaceIdsFilter } from './pagination.ts';
import { presentMembership, presentWorkspace } from './presenters.ts';
import {
  DataResidencyCreate,
  DataResidencyUpdate,
  DEFAULT_DISPLAY_COLOR,
  DEFAULT_RESIDENCY,
  DisplayColor,
  MAX_LIVE_WORKSPACES,
  mergeResidency,
  mergeTags,
  rejectUnsupported,
  WorkspaceName,
} from './workspace-input.ts';

const Params = Type.Object({ workspace_id: Type.String() });
const MemberParams = Type.Object({ workspace_id: Type.String(), service_account_id: Type.String() });

const CreateBody = Type.Object({
  name: WorkspaceName,
  display_color: Type.Optional(Nullable(DisplayColor)),
  tags: Type.Optional(Nullable(Type.Record(Type.String(), Type.String()))),
  data_residency: Type.Optional(Nullable(DataResidencyCreate)),
  external_key_id: Type.Optional(Nullable(Type.String())),
  user_profile_id: Type.Optional(Nullable(Type.String())),
});

const UpdateBody = Type.Object({
  name: Type.Optional(Nullable(WorkspaceName)),
  display_color: Type.Optional(Nullable(DisplayColor)),
  tags: Type.Optional(Nullable(Type.Record(Type.String(), Nullable(Type.String())))),
  data_residency: Type.Optional(Nullable(DataResidencyUpdate)),
  external_key_id: Type.Optional(Nullable(Type.String())),
  user_profile_id: Type.Optional(Nullable(Type.String())),
});

const AddMemberBody = Type.Object({ service_account_id: TaggedIdString, workspace_role: NoBillingWorkspaceRole });
const UpdateMemberBody = Type.Object({ workspace_role: NoBillingWorkspaceRole });

const BASE = '/v1/organizations/workspaces';

/** Spec §3.7 (the minimum of the workspace resource WIF needs) and §3.3 (workspace → service accounts). */
export async function workspaceRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  async function load(organizationId: string, id: string): Promise<Workspace> {
    const workspace = await deps.stores.workspaces.get(organizationId, id);
    if (!workspace) throw notFound(`Workspace ${quote(id)} not found.`);
    return workspace;
  }

  app.post(BASE, { schema: { body: CreateBody } }, async (request) => {
    const caller = callerOf(request);
    const body = request.body;
    rejectUnsupported(body);
    const live = await deps.stores.workspaces.list(caller.organizationId, {
      limit: MAX_LIVE_WORKSPACES,
      afterId: null,
      beforeId: null,
      includeArchived: false,
      includeDefault: false,
      ids: null,
    });
    if (live.items.length >= MAX_LIVE_WORKSPACES) throw badRequest(`An organization may have at most ${MAX_LIVE_WORKSPACES} active workspaces.`);
    const workspace: Workspace = {
      id: newId('workspace'),
      organization_id: caller.organizationId,
      name: body.name,
      is_default: false,
      display_color: body.display_color ?? DEFAULT_DISPLAY_COLOR,
      tags: mergeTags({}, body.tags),
      data_residency: {
        ...mergeResidency(DEFAULT_RESIDENCY, body.data_residency),
        workspace_geo: body.data_residency?.workspace_geo ?? DEFAULT_RESIDENCY.workspace_geo,
      },
      created_at: deps.now().toISOString(),
      archived_at: null,
    };
    await deps.stores.workspaces.insert(workspace);
    return presentWorkspace(workspace);
  });

  app.get(BASE, { schema: { querystring: Type.Object(WorkspacePageQuery) } }, async (request) => {
    const caller = callerOf(request);
    const q = request.query;
    if (q.after_id !== undefined && q.before_id !== undefined) throw badRequest('after_id: cannot be combined with before_id');
    const result = await deps.stores.workspaces.list(caller.organizationId, {
      limit: q.limit ?? 20,
      afterId: q.after_id ?? null,
      beforeId: q.before_id ?? null,
      includeArchived: q.include_archived ?? false,
      includeDefault: q.include_default ?? false,
      ids: workspaceIdsFilter(q),
    });
    return pageBody(result.items.map(presentWorkspace), result.hasMore);
  });

  app.get(`${BASE}/:workspace_id`, { schema: { params: Params } }, async (request) => {
    return presentWorkspace(await load(callerOf(request).organizationId, request.params.workspace_id));
  });

  app.post(`${BASE}/:workspace_id`, { schema: { params: Params, body: UpdateBody } }, async (request) => {
    const caller = callerOf(request);
    const workspace = await load(caller.organizationId, request.params.workspace_id);
    if (workspace.archived_at !== null) throw badRequest(`Workspace ${workspace.id} is archived and cannot be updated.`);
    const body = request.body;
    rejectUnsupported(body);
    if (workspace.is_default && body.name != null && body.name !== workspace.name) throw badRequest('name: the default workspace cannot be renamed');
    const updated: Workspace = {
      ...workspace,
      name: body.name ?? workspace.name,
      display_color: body.display_color ?? workspace.display_color,
      tags: mergeTags(workspace.tags, body.tags),
      data_residency: mergeResidency(workspace.data_residency, body.data_residency),
    };
    await deps.stores.workspaces.update(updated);
    return presentWorkspace(updated);
  });

  app.post(`${BASE}/:workspace_id/archive`, { schema: { params: Params } }, async (request) => {
    const caller = callerOf(request);
    const workspace = await load(caller.organizationId, request.params.workspace_id);
    if (workspace.is_default) throw badRequest('The default workspace cannot be archived.');
    if (workspace.archived_at !== null) return presentWorkspace(workspace);
    const archived: Workspace = { ...workspace, archived_at: deps.now().toISOString() };
    await deps.stores.workspaces.update(archived);
    return presentWorkspace(archived);
  });

  app.get(`${BASE}/:workspace_id/service_accounts`, { schema: { params: Params, querystring: Type.Object(PageCursorQuery) } }, async (request) => {
    const caller = callerOf(request);
    const workspace = await workspaceForMembership(deps, caller.organizationId, request.params.workspace_id, 'path');
    const page = await deps.stores.memberships.listForWorkspace(workspace.id, cursorQuery(request.query));
    return pageCursorBody(page, (m) => presentMembership(m));
  });

  app.post(`${BASE}/:workspace_id/service_accounts`, { schema: { params: Params, body: AddMemberBody } }, async (request) => {
    const caller = callerOf(request);
    const workspace = await workspaceForMembership(deps, caller.organizationId, request.params.workspace_id, 'path');
    const account = await serviceAccountForMembership(deps, caller.organizationId, request.body.service_account_id, 'body');
    return addMembership(deps, caller, account, workspace, request.body.workspace_role);
  });

  app.get(`${BASE}/:workspace_id/service_accounts/:service_account_id`, { schema: { params: MemberParams } }, async (request) => {
    const caller = callerOf(request);
    const workspace = await workspaceForMembership(deps, caller.organizationId, request.params.workspace_id, 'path');
    const account = await serviceAccountForMembership(deps, caller.organizationId, request.params.service_account_id, 'path');
    return getMembership(deps, account, workspace);
  });

  app.post(`${BASE}/:workspace_id/service_accounts/:service_account_id`, { schema: { params: MemberParams, body: UpdateMemberBody } }, async (request) => {
    const caller = callerOf(request);
    const workspace = await workspaceForMembership(deps, caller.organizationId, request.params.workspace_id, 'path');
    const account = await serviceAccountForMembership(deps, caller.organizationId, request.params.service_account_id, 'path');
    return updateMembershipRole(deps, account, workspace, request.body.workspace_role);
  });

  app.delete(`${BASE}/:workspace_id/service_accounts/:service_account_id`, { schema: { params: MemberParams } }, async (request) => {
    const caller = callerOf(request);
    const workspace = await workspaceForMembership(deps, caller.organizationId, request.params.workspace_id, 'path');
    const account = await serviceAccountForMembership(deps, caller.organizationId, request.params.service_account_id, 'path');
    return removeMembership(deps, account, workspace);
  });
}
