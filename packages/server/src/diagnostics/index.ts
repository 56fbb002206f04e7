import type { FastifyInstance } from 'fastify';
import { requireAdminCaller } from '../admin/admin-caller.ts';
import { adminValidatorCompiler } from '../admin/validation.ts';
import type { AppDeps } from '../app.ts';
import { eventRoutes } from './events.routes.ts';
import { issuerVerifyRoutes } from './issuer-verify.routes.ts';
import { ruleDiagnosticRoutes } from './rule-diagnostics.routes.ts';

/**
 * OpenWIF's diagnostic extensions (docs/diagnostics.md), not part of the Anthropic API:
 * authentication events, rule dry runs and rule lint. org:admin callers only, authenticated in
 * onRequest like the rest of the Admin API.
 */
export async function diagnosticsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const trace = { stores: deps.stores, keys: deps.keys, matching: deps.matching, defaultAudiences: deps.settings.defaultAudiences, now: deps.now };
  await app.register(async (scope) => {
    scope.setValidatorCompiler(adminValidatorCompiler);
    requireAdminCaller(scope, deps);
    await eventRoutes(scope, deps);
    await ruleDiagnosticRoutes(scope, deps, trace);
    await issuerVerifyRoutes(scope, deps);
  });
}
