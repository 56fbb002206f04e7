import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { callerOf } from '../admin/admin-caller.ts';
import type { AppDeps } from '../app.ts';
import { notFound } from '../http/errors.ts';
import { verifyIssuerKeys } from '../trust/verify-issuer.ts';

const Params = Type.Object({ federation_issuer_id: Type.String() });

/**
 * "Verify issuer" (spec §7 decision): fetch and validate an issuer's keys now, as an exchange
 * would, and report them — without touching the key cache or the poll status. An OpenWIF extension.
 */
export async function issuerVerifyRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/v1/organizations/federation_issuers/:federation_issuer_id/verify', { schema: { params: Params } }, async (request) => {
    const issuer = await deps.stores.issuers.get(callerOf(request).organizationId, request.params.federation_issuer_id);
    if (!issuer) throw notFound(`Federation issuer ${request.params.federation_issuer_id.slice(0, 64)} not found.`);
    const result = await verifyIssuerKeys(issuer, { policy: deps.outbound });
    return { type: 'federation_issuer_verification', issuer_id: issuer.id, ...result };
  });
}
