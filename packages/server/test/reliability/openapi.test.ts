import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { adminRoutes } from '../../src/admin/index.ts';
import type { AppDeps } from '../../src/app.ts';
import { tokenRoutes } from '../../src/exchange/token-route.ts';
import { RuleMatcherCache } from '../../src/exchange/rule-matchers.ts';
import { Metrics } from '../../src/observability/metrics.ts';
import { collectOpenApi } from '../../src/openapi/collect-openapi.ts';
import { registerOpenApiRoute } from '../../src/openapi/openapi-route.ts';
import type { OpenApiDocument, OperationObject } from '../../src/openapi/openapi-types.ts';
import { IssuerKeyCache } from '../../src/trust/key-resolver.ts';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';

/**
 * The structural rules of OpenAPI 3.1 this test can check without the official meta-schema
 * (see the report: a dev dependency such as @seriousme/openapi-schema-validator would check
 * the rest): version, info, paths, operations, parameters, responses.
 */
const RESPONSE = { type: 'object', required: ['description'], properties: { description: { type: 'string' }, content: { type: 'object' } } };
const OPERATION = {
  type: 'object',
  required: ['responses', 'operationId'],
  properties: {
    operationId: { type: 'string', pattern: '^[A-Za-z0-9_]+$' },
    tags: { type: 'array', items: { type: 'string' } },
    parameters: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'in', 'schema'],
        properties: { name: { type: 'string', minLength: 1 }, in: { enum: ['path', 'query', 'header', 'cookie'] }, required: { type: 'boolean' }, schema: { type: 'object' } },
        if: { properties: { in: { const: 'path' } } },
        then: { required: ['required'], properties: { required: { const: true } } },
      },
    },
    requestBody: { type: 'object', required: ['content'], properties: { content: { type: 'object', minProperties: 1 } } },
    responses: { type: 'object', minProperties: 1, propertyNames: { pattern: '^([1-5](\\d\\d|XX)|default)$' }, additionalProperties: RESPONSE },
    security: { type: 'array', items: { type: 'object', additionalProperties: { type: 'array' } } },
  },
};
const OPENAPI_31_SUBSET = {
  type: 'object',
  required: ['openapi', 'info', 'paths'],
  properties: {
    openapi: { type: 'string', pattern: '^3\\.1\\.\\d+$' },
    info: { type: 'object', required: ['title', 'version'], properties: { title: { type: 'string' }, version: { type: 'string' } } },
    paths: {
      type: 'object',
      propertyNames: { pattern: '^/' },
      additionalProperties: {
        type: 'object',
        propertyNames: { enum: ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'summary', 'description', 'parameters', 'servers'] },
        additionalProperties: OPERATION,
      },
    },
    components: { type: 'object', properties: { schemas: { type: 'object', additionalProperties: { type: 'object' } }, securitySchemes: { type: 'object' } } },
  },
};

/** Checks a document; returns every problem found (empty when valid). */
function problemsOf(doc: OpenApiDocument): string[] {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(OPENAPI_31_SUBSET);
  const problems: string[] = [];
  if (!validate(doc)) problems.push(...(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
  const operationIds = new Set<string>();
  const securitySchemes = Object.keys(doc.components?.securitySchemes ?? {});
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
    for (const [method, operation] of Object.entries(item) as Array<[string, OperationObject]>) {
      const where = `${method.toUpperCase()} ${path}`;
      if (operationIds.has(operation.operationId)) problems.push(`${where}: duplicate operationId ${operation.operationId}`);
      operationIds.add(operation.operationId);
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name).sort();
      if (templated.join() !== declared.join()) problems.push(`${where}: path parameters ${declared.join()} do not match the template ${templated.join()}`);
      for (const requirement of operation.security ?? []) {
        for (const name of Object.keys(requirement)) if (!securitySchemes.includes(name)) problems.push(`${where}: unknown security scheme ${name}`);
      }
      // Every schema in the operation must itself be a valid JSON Schema 2020-12 (the 3.1 dialect).
      const schemas = [
        ...(operation.parameters ?? []).map((p) => p.schema),
        ...Object.values(operation.requestBody?.content ?? {}).map((m) => m.schema),
        ...Object.values(operation.responses).flatMap((r) => Object.values(r.content ?? {}).map((m) => m.schema)),
      ];
      for (const schema of schemas) {
        try {
          ajv.compile({ ...schema, $defs: undefined, components: doc.components, $id: undefined });
        } catch (err) {
          if (!(err as Error).message.includes("can't resolve reference #/components")) problems.push(`${where}: invalid schema: ${(err as Error).message}`);
        }
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

  test('the document validates as OpenAPI 3.1 (structure, parameters, operation IDs, schemas)', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(problemsOf(doc), []);
  });

  test('the validator catches broken documents (it can fail)', () => {
    const broken = structuredClone(doc);
    broken.openapi = '3.0.3' as '3.1.0';
    const firstPath = Object.keys(broken.paths).find((p) => p.includes('{'))!;
    const op = Object.values(broken.paths[firstPath]!)[0]!;
    op.parameters = [];
    op.responses = {};
    const problems = problemsOf(broken);
    assert.ok(problems.some((p) => p.includes('/openapi')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('path parameters')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('responses')), problems.join('\n'));
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
    assert.equal(operations.some((o) => o.startsWith('PUT /v1/organizations/federation_rules')), false, 'no 405 catch-all is documented');
    assert.equal(operations.some((o) => o.includes('/openapi.json')), false);
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
    assert.equal(reply.status, 200, 'GET /openapi.json is not served yet: wire collectOpenApi(app) before the routes and registerOpenApiRoute(app, build) after them in app.ts');
    assert.deepEqual(problemsOf(reply.body as OpenApiDocument), []);
    assert.ok(Object.keys((reply.body as OpenApiDocument).paths).length >= 15);
  });
});
