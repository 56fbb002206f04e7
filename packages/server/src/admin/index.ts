import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { organizationRoutes } from './organization.routes.ts';

/** The Admin API (spec §3): every route authenticates an org:admin caller first. */
export async function adminRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(async (scope) => {
    await organizationRoutes(scope, deps);
  });
}
