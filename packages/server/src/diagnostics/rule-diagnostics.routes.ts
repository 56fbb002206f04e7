import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { callerOf } from '../admin/admin-caller.ts';
import { loadRule, RULES_BASE } from '../admin/rules.routes.ts';
import type { AppDeps } from '../app.ts';
import { lintRule } from '../policy/lint-rule.ts';
import { testAllRules } from './test-all-rules.ts';
import { parseTestRequest, TestBody } from './test-request.ts';
import { traceRule, type TraceDeps } from './trace-rule.ts';

const Params = Type.Object({ federation_rule_id: Type.String() });

/** A test body is an assertion (≤ 16 KiB) or claims of the same size, plus two IDs. */
const TEST_BODY_LIMIT = 64 * 1024;

/**
 * OpenWIF extensions (docs/diagnostics.md): dry-run a token against one rule or all of them,
 * and lint a stored rule. Read-only: nothing here writes to any store.
 */
export async function ruleDiagnosticRoutes(scope: FastifyInstance, deps: AppDeps, trace: TraceDeps): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxTypeProvider>();

  // A static segment: find-my-way prefers it over the `:federation_rule_id` update route.
  app.post(`${RULES_BASE}/test`, { bodyLimit: TEST_BODY_LIMIT, schema: { body: TestBody } }, async (request) => {
    const { subject, requested } = parseTestRequest(request.body);
    return testAllRules(callerOf(request).organizationId, subject, requested, trace);
  });

  app.post(`${RULES_BASE}/:federation_rule_id/test`, { bodyLimit: TEST_BODY_LIMIT, schema: { params: Params, body: TestBody } }, async (request) => {
    const rule = await loadRule(deps, callerOf(request).organizationId, request.params.federation_rule_id);
    const { subject, requested } = parseTestRequest(request.body);
    const result = await traceRule(rule, subject, requested, trace);
    return { type: 'federation_rule_test', rule_id: rule.id, mode: subject.kind, ...result };
  });

  app.get(`${RULES_BASE}/:federation_rule_id/lint`, { schema: { params: Params } }, async (request) => {
    const organizationId = callerOf(request).organizationId;
    const rule = await loadRule(deps, organizationId, request.params.federation_rule_id);
    const issuer = await deps.stores.issuers.get(organizationId, rule.issuer_id);
    const warnings = lintRule({
      // The issuer URL only selects platform checks (Entra, …); a vanished issuer gets the generic ones.
      issuerUrl: issuer?.issuer_url ?? '',
      match: rule.match,
      tokenLifetimeSeconds: rule.token_lifetime_seconds,
      oauthScope: rule.oauth_scope,
    });
    return { type: 'federation_rule_lint', rule_id: rule.id, warnings };
  });
}
