import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app.ts';
import { authenticateAdmin, type Caller } from '../auth/caller.ts';
import { forbidden } from '../http/errors.ts';
import { isWorkloadManageable } from './scopes.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the admin scope's onRequest hook before the body is even read. */
    adminCaller: Caller | null;
  }
}

/** Authenticates every request of this scope in `onRequest`: 401/403 come before any body parsing or validation. */
export function requireAdminCaller(scope: FastifyInstance, deps: AppDeps): void {
  scope.decorateRequest('adminCaller', null);
  scope.addHook('onRequest', async (request) => {
    request.adminCaller = await authenticateAdmin(deps.stores, request, deps.now());
  });
}

export function callerOf(request: FastifyRequest): Caller {
  if (request.adminCaller === null) throw new Error('admin route reached without an authenticated caller');
  return request.adminCaller;
}

/**
 * Spec §2.2 (1): OAuth callers (here: workload tokens) may only manage rules whose scope is
 * workspace:developer / workspace:inference; anything wider needs a console session.
 */
export function assertMayManageRuleScope(caller: Caller, oauthScope: string): void {
  if (caller.kind === 'workload' && !isWorkloadManageable(oauthScope)) {
    throw forbidden('OAuth callers may only manage federation rules whose oauth_scope is workspace:developer or workspace:inference; use a console session.');
  }
}

/** Spec §2.2 (3): a workload may not create admin service accounts nor set organization_role admin. */
export function assertMayGrantAdminRole(caller: Caller): void {
  if (caller.kind === 'workload') {
    throw forbidden('Setting organization_role to admin requires an interactive credential (console session).');
  }
}

/** The audit fields of an object the caller creates now. */
export function createdBy(caller: Caller, now: string) {
  return {
    created_at: now,
    updated_at: now,
    archived_at: null,
    created_by_actor_id: caller.actorId,
    updated_by_actor_id: caller.actorId,
    archived_by_actor_id: null,
  };
}
