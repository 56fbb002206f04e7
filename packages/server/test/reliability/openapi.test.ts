import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify, { type FastifyInstance } from 'fastify';
import { adminRoutes } from '../../src/admin/index.ts';
import type { AppDeps } from '../../src/app.ts';
import { tokenRoutes } from '../../src/exchange/token-route.ts';
import { ConfigCache } from '../../src/storage/config-cache.ts';
import { RuleMatcherCache } from '../../src/exchange/rule-matchers.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { collectOpenApi } from '../../src/openapi/collect-openapi.ts';
import { registerOpenApiRoute } from '../../src/openapi/openapi-route.ts';
import type { OpenApiDocument, OperationObject } from '../../src/openapi/openapi-types.ts';
import { IssuerKeyCache } from '../../src/trust/key-resolver.ts';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';

/**
 * Checks a document against the official OpenAPI 3.1 schema, plus what a schema cannot say
 * (unique operation IDs, path templates matching path parameters); returns every problem.
 */
async function problemsOf(doc: OpenApiDocument): Promise<string[]> {
  const result = await new Validator().validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0]);
  const problems: string[] = [];
  if (!result.valid) problems.push(`/openapi schema: ${JSON.stringify(result.errors).slice(0, 2000)}`);
  const operationIds = new Set<string>();
  const securitySchemes = Object.keys(doc.components?.securitySchemes ?? {});
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
    for (const [method, operation] of Object.entries(item) as Array<[string, OperationObject]>) {
      const where = `${method.toUpperCase()} ${path}`;
      if (operationIds.has(operation.operationId)) problems.push(`${where}: duplicate operationId ${operation.operationId}`);
      operationIds.add(operation.operationId);
      const declared = (operation.parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      if (templated.join() !== declared.join()) problems.push(`${where}: path parameters ${declared.join()} do not match the template ${templated.join()}`);
      for (const requirement of operation.security ?? []) {
        for (const name of Object.keys(requirement)) if (!securitySchemes.includes(name)) problems.push(`${where}: unknown security scheme ${name}`);
      }
    }
  }
  return problems;
}

describe('OpenAPI document generated from the route schemas', () => {
  let server: TestServer;
  let app: FastifyInstance;
  let doc: OpenApiDocument;

  before(async () => {
    server = await startTestServer();
    // The token and Admin API route modules, registered after the collector exactly as app.ts would.
    const outbound = new OutboundPolicy([]);
    const deps: AppDeps = {
      settings: server.settings,
      stores: server.stores,
      config: new ConfigCache(server.stores),
      keys: new IssuerKeyCache({ policy: outbound }),
      matching: new RuleMatcherCache({ defaultAudiences: server.settings.defaultAudiences }),
      outbound,
      metrics: new Metrics(),
      now: () => new Date(),
    };
    app = Fastify({ logger: false });
    const build = collectOpenApi(app, { title: 'OpenWIF', version: '0.1.0' });
    app.get('/healthz', async () => ({ status: 'ok' }));
    await tokenRoutes(app, deps);
    await adminRoutes(app, deps);
    registerOpenApiRoute(app, build);
    await app.ready();
    const reply = await app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(reply.statusCode, 200);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    doc = reply.json() as OpenApiDocument;
  });
  after(async () => {
    await app?.close();
    await server.close();
  });

  test('the document validates against the official OpenAPI 3.1 schema, with unique operation IDs and matching path parameters', async () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(await problemsOf(doc), []);
  });

  test('the validator catches broken documents (it can fail)', async () => {
    const noInfo = structuredClone(doc) as Partial<OpenApiDocument>;
    delete noInfo.info;
    assert.ok((await problemsOf(noInfo as OpenApiDocument)).some((p) => p.startsWith('/openapi schema')));

    const noPathParameters = structuredClone(doc);
    const templated = Object.keys(noPathParameters.paths).find((p) => p.includes('{'))!;
    Object.values(noPathParameters.paths[templated]!)[0]!.parameters = [];
    assert.ok((await problemsOf(noPathParameters)).some((p) => p.includes('path parameters')));

    const duplicateIds = structuredClone(doc);
    const [first, second] = Object.values(duplicateIds.paths).flatMap((item) => Object.values(item)) as OperationObject[];
    second!.operationId = first!.operationId;
    assert.ok((await problemsOf(duplicateIds)).some((p) => p.includes('duplicate operationId')));
  });

  test('every Admin API and token route is documented, the 405 catch-alls and /openapi.json are not', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    for (const expected of [
      'POST /v1/oauth/token',
      'GET /v1/organizations/me',
      'POST /v1/organizations/federation_rules',
      'GET /v1/organizations/federation_rules/{federation_rule_id}',
      'POST /v1/organizations/federation_rules/{federation_rule_id}/archive',
      'DELETE /v1/organizations/federation_rules/{federation_rule_id}/workspaces/{workspace_id}',
      'GET /v1/organizations/service_accounts',
      'POST /v1/organizations/workspaces/{workspace_id}/service_accounts/{service_account_id}',
      'POST /v1/organizations/federation_issuers/{federation_issuer_id}',
    ]) {
      assert.ok(operations.includes(expected), `${expected} missing`);
    }
    assert.equal(
      operations.some((o) => o.startsWith('PUT /v1/organizations/federation_rules')),
      false,
      'no 405 catch-all is documented',
    );
    assert.equal(
      operations.some((o) => o.includes('/openapi.json')),
      false,
    );
  });

  test('operations carry the route schemas: bodies, path and query parameters, security', () => {
    const create = doc.paths['/v1/organizations/federation_issuers']!.post!;
    const body = create.requestBody?.content['application/json']?.schema as { properties?: Record<string, unknown>; required?: string[] };
    assert.ok(body.properties?.['issuer_url'], 'the issuer body schema is there');
    assert.ok(body.required?.includes('name'));
    const list = doc.paths['/v1/organizations/federation_issuers']!.get!;
    assert.ok(list.parameters?.some((p) => p.in === 'query' && p.name === 'include_archived' && p.required === false));
    assert.deepEqual(create.security, [{ bearer: [] }, { apiKey: [] }]);
    assert.equal(doc.paths['/v1/oauth/token']!.post!.security, undefined, 'the token endpoint is public');
    assert.ok(create.responses['4XX'], 'errors documented with the envelope');
  });

  test('the real server serves /openapi.json (needs collectOpenApi + registerOpenApiRoute wired in app.ts)', async () => {
    const reply = await call(server, 'GET', '/openapi.json');
    assert.equal(
      reply.status,
      200,
      'GET /openapi.json is not served yet: wire collectOpenApi(app) before the routes and registerOpenApiRoute(app, build) after them in app.ts',
    );
    assert.deepEqual(await problemsOf(reply.body as OpenApiDocument), []);
    assert.ok(Object.keys((reply.body as OpenApiDocument).paths).length >= 15);
  });
});
