import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { adminValidatorCompiler } from '../admin/validation.ts';
import type { AppDeps } from '../app.ts';
import { authenticateAdmin } from '../auth/caller.ts';
import type { Workspace } from '../domain/types.ts';
import { badRequest, HttpError, notFound } from '../http/errors.ts';
import type { UpstreamCredential } from '../storage/ports.ts';
import { sealCredential } from './credential-seal.ts';

/**
 * OpenWIF's Admin API extension for the gateway: a workspace's upstream API key. Write-only:
 * no response ever carries the key, only whether one is set. org:admin callers only.
 */

const URL_PATH = '/v1/organizations/workspaces/:workspace_id/upstream_credential';
const Params = Type.Object({ workspace_id: Type.String({ maxLength: 200 }) });
/** Printable ASCII without spaces: it ends up in an HTTP header. */
const PutBody = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[\\x21-\\x7e]+$' }) }, { additionalProperties: false });
const BODY_LIMIT = 16 * 1024;

export type EffectiveSource = 'workspace' | 'server_default' | 'none' | 'stand_in';

export interface UpstreamCredentialView {
  type: 'upstream_credential';
  workspace_id: string;
  configured: boolean;
  updated_at: string | null;
  /** What the gateway will use for this workspace right now. */
  effective_source: EffectiveSource;
}

export async function upstreamCredentialRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(async (scope) => authenticatedRoutes(scope, deps));
  // Outside the authenticated scope: a wrong method is 405 whoever asks, as in the Admin API.
  await app.register(async (scope) => {
    scope.route({
      method: ['POST', 'PATCH'],
      url: URL_PATH,
      handler: async (_request, reply) => {
        reply.header('allow', 'DELETE, GET, PUT');
        throw new HttpError(405, 'method_not_allowed_error', 'Method not allowed on this path; allowed: DELETE, GET, PUT.');
      },
    });
  });
}

async function authenticatedRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(adminValidatorCompiler);
  const callerOf = new WeakMap<object, { organizationId: string; actorId: string }>();
  // Before the body is read: 401/403 come first, whatever the body says.
  app.addHook('onRequest', async (request) => {
    callerOf.set(request, await authenticateAdmin(deps.stores, request, deps.now()));
  });
  const caller = (request: object) => {
    const found = callerOf.get(request);
    if (!found) throw new Error('upstream credential route reached without an authenticated caller');
    return found;
  };

  async function workspaceOf(organizationId: string, id: string, options: { live: boolean }): Promise<Workspace> {
    const workspace = await deps.stores.workspaces.get(organizationId, id);
    if (!workspace) throw notFound(`Workspace '${id.slice(0, 100)}' not found.`);
    if (options.live && workspace.archived_at !== null) throw badRequest(`Workspace ${workspace.id} is archived; its upstream credential cannot be set.`);
    return workspace;
  }

  function view(workspaceId: string, stored: UpstreamCredential | null): UpstreamCredentialView {
    const effective: EffectiveSource =
      deps.settings.upstreamUrl === null ? 'stand_in' : stored ? 'workspace' : deps.settings.upstreamApiKey !== null ? 'server_default' : 'none';
    return {
      type: 'upstream_credential',
      workspace_id: workspaceId,
      configured: stored !== null,
      updated_at: stored?.updated_at ?? null,
      effective_source: effective,
    };
  }

  app.put(URL_PATH, { schema: { params: Params, body: PutBody }, bodyLimit: BODY_LIMIT }, async (request) => {
    const { organizationId, actorId } = caller(request);
    const workspace = await workspaceOf(organizationId, request.params.workspace_id, { live: true });
    const secretKey = deps.settings.secretKey;
    if (secretKey === null) {
      throw badRequest('Upstream credentials are stored encrypted and this server has no secret key: set OPENWIF_SECRET_KEY (32 random bytes, base64) first.');
    }
    const now = deps.now().toISOString();
    const existing = await deps.stores.upstreamCredentials.get(organizationId, workspace.id);
    const credential: UpstreamCredential = {
      organization_id: organizationId,
      workspace_id: workspace.id,
      sealed: sealCredential(secretKey, { organizationId, workspaceId: workspace.id }, request.body.api_key),
      created_at: existing?.created_at ?? now,
      updated_at: now,
      updated_by_actor_id: actorId,
    };
    await deps.stores.upstreamCredentials.put(credential);
    return view(workspace.id, credential);
  });

  app.get(URL_PATH, { schema: { params: Params } }, async (request) => {
    const { organizationId } = caller(request);
    const workspace = await workspaceOf(organizationId, request.params.workspace_id, { live: false });
    return view(workspace.id, await deps.stores.upstreamCredentials.get(organizationId, workspace.id));
  });

  // Idempotent, and allowed on archived workspaces: removing a key is always a safe clean-up.
  app.delete(URL_PATH, { schema: { params: Params } }, async (request) => {
    const { organizationId } = caller(request);
    const workspace = await workspaceOf(organizationId, request.params.workspace_id, { live: false });
    await deps.stores.upstreamCredentials.delete(organizationId, workspace.id);
    return { type: 'upstream_credential_deleted', workspace_id: workspace.id };
  });
}
