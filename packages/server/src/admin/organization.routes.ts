import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.ts';
import { authenticateCaller } from '../auth/caller.ts';
import { notFound } from '../http/errors.ts';

export async function organizationRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get('/v1/organizations/me', async (request) => {
    const caller = await authenticateCaller(deps.stores, request, deps.now());
    const org = await deps.stores.organizations.get(caller.organizationId);
    if (!org) throw notFound('Organization not found.');
    return { id: org.id, name: org.name, type: 'organization' };
  });
}
