import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { requireAdminCaller } from './admin-caller.ts';
import { issuerRoutes } from './issuers.routes.ts';
import { RouteTable } from './method-not-allowed.ts';
import { organizationRoutes } from './organization.routes.ts';
import { ruleWorkspaceRoutes } from './rule-workspaces.routes.ts';
import { ruleRoutes } from './rules.routes.ts';
import { serviceAccountRoutes } from './service-accounts.routes.ts';
import { adminValidatorCompiler } from './validation.ts';
import { workspaceRoutes } from './workspaces.routes.ts';

/** The Admin API (spec §3): every WIF route authenticates an org:admin caller first. */
export async function adminRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(async (admin) => {
    const routes = new RouteTable();
    routes.watch(admin);
    // Any valid token may read its own organization (GET /v1/organizations/me), not just org:admin.
    await admin.register(async (scope) => {
      await organizationRoutes(scope, deps);
    });
    await admin.register(async (scope) => {
      scope.setValidatorCompiler(adminValidatorCompiler);
      requireAdminCaller(scope, deps);
      await serviceAccountRoutes(scope, deps);
      await workspaceRoutes(scope, deps);
      await issuerRoutes(scope, deps);
      await ruleRoutes(scope, deps);
      await ruleWorkspaceRoutes(scope, deps);
    });
    // Outside the authenticated scope: a wrong method is 405 whoever asks.
    await admin.register(async (scope) => {
      routes.registerMethodNotAllowed(scope);
    });
  });
}
