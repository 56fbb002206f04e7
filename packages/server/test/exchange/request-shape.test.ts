import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, eventCount, exchangeBody, seedFederation, type Federation } from '../helpers/federation-fixture.ts';

/** Step 1 of the pipeline: malformed requests get a 400 naming the field and leave no event. */
describe('token endpoint request shape', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let fed: Federation;
  let assertion: string;

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start();
    fed = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1' } });
    assertion = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'shape-1' });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  const cases: Array<[string, (body: Record<string, unknown>) => unknown, RegExp]> = [
    ['grant_type missing', ({ grant_type: _, ...rest }) => rest, /^grant_type: Field required/],
    ['grant_type unsupported', (b) => ({ ...b, grant_type: 'client_credentials' }), /^grant_type: unsupported grant type/],
    ['grant_type a number', (b) => ({ ...b, grant_type: 7 }), /^grant_type: must be a string/],
    ['assertion missing', ({ assertion: _, ...rest }) => rest, /^assertion: Field required/],
    ['assertion empty', (b) => ({ ...b, assertion: '' }), /^assertion: Field required/],
    ['assertion an object', (b) => ({ ...b, assertion: { a: 1 } }), /^assertion: must be a string/],
    ['assertion 16 KiB + 1', (b) => ({ ...b, assertion: 'a'.repeat(16 * 1024 + 1) }), /^assertion: must be at most 16384 bytes/],
    ['federation_rule_id missing', ({ federation_rule_id: _, ...rest }) => rest, /^federation_rule_id: Field required/],
    ['federation_rule_id malformed', (b) => ({ ...b, federation_rule_id: 'rule-1' }), /^federation_rule_id: must be a federation rule ID/],
    ['federation_rule_id with SQL', (b) => ({ ...b, federation_rule_id: "fdrl_x' OR 1=1 --" }), /^federation_rule_id: must be a federation rule ID/],
    ['organization_id missing', ({ organization_id: _, ...rest }) => rest, /^organization_id: Field required/],
    ['organization_id not a UUID', (b) => ({ ...b, organization_id: 'org_123' }), /^organization_id: must be an organization UUID/],
    ['service_account_id malformed', (b) => ({ ...b, service_account_id: 'user_1' }), /^service_account_id: must be a service account ID/],
    ['service_account_id empty', (b) => ({ ...b, service_account_id: '' }), /^service_account_id: must not be empty/],
    ['workspace_id malformed', (b) => ({ ...b, workspace_id: 'ws-1' }), /^workspace_id: must be a workspace ID \(wrkspc_…\) or "default"/],
    ['workspace_id a list', (b) => ({ ...b, workspace_id: ['default'] }), /^workspace_id: must be given once/],
  ];

  for (const [name, mutate, message] of cases) {
    test(`400 when ${name}`, async () => {
      const res = await call(server, 'POST', '/v1/oauth/token', { body: mutate(exchangeBody(fed, server, assertion)) });
      assert.equal(res.status, 400);
      assert.equal(res.body.type, 'error');
      assert.equal(res.body.error.type, 'invalid_request_error');
      assert.match(res.body.error.message, message);
      assert.match(res.body.request_id, /^req_/);
      assert.equal(res.headers.get('request-id'), res.body.request_id);
    });
  }

  test('malformed requests leave no authentication event', async () => {
    assert.equal(await eventCount(server, fed.rule.id), 0);
  });

  test('a body that is not a JSON object is a 400', async () => {
    for (const raw of ['[]', '"text"', '42', 'null', '{"grant_type": ']) {
      const res = await call(server, 'POST', '/v1/oauth/token', { raw, headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400, raw);
      assert.equal(res.body.error.type, 'invalid_request_error', raw);
    }
  });

  test('a JSON body carrying a NUL character is a 400, on every route', async () => {
    const token = await call(server, 'POST', '/v1/oauth/token', {
      raw: JSON.stringify({ ...exchangeBody(fed, server, assertion), note: 'a\u0000b' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(token.status, 400);
    assert.match(token.body.error.message, /NUL/);
    const admin = await call(server, 'POST', '/v1/organizations/service_accounts', {
      body: { name: 'nul-test', description: 'x\u0000y' },
      headers: server.adminHeaders,
    });
    assert.equal(admin.status, 400);
    const path = await call(server, 'GET', '/v1/organizations/service_accounts/svac_01%00', { headers: server.adminHeaders });
    assert.equal(path.status, 400);
  });

  test('an unsupported content type is refused with 415 in the envelope', async () => {
    const res = await call(server, 'POST', '/v1/oauth/token', { raw: '<grant_type/>', headers: { 'content-type': 'application/xml' } });
    assert.equal(res.status, 415);
    assert.equal(res.body.type, 'error');
    const text = await call(server, 'POST', '/v1/oauth/token', { raw: 'grant_type=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 400);
    assert.match(text.body.error.message, /must be a JSON object/);
  });

  test('a body over the limit is refused with 413', async () => {
    const res = await call(server, 'POST', '/v1/oauth/token', { body: exchangeBody(fed, server, 'a'.repeat(64 * 1024)) });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.type, 'request_too_large');
  });

  test('a form body field given twice is a 400', async () => {
    const form = new URLSearchParams(exchangeBody(fed, server, assertion) as Record<string, string>);
    form.append('assertion', assertion);
    const res = await call(server, 'POST', '/v1/oauth/token', { raw: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /^assertion: must be given once/);
  });

  test('form encoding exchanges like JSON, without any beta header', async () => {
    const form = new URLSearchParams(exchangeBody(fed, server, assertion) as Record<string, string>);
    const res = await call(server, 'POST', '/v1/oauth/token', { raw: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.access_token, /^sk-ant-oat01-[A-Za-z0-9_-]{43}$/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('unknown body fields are ignored', async () => {
    const fresh = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'shape-2' });
    const res = await call(server, 'POST', '/v1/oauth/token', { body: { ...exchangeBody(fed, server, fresh), scope: 'org:admin', extra: { deep: [1] } } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.scope, 'workspace:developer');
  });

  test('an unknown or foreign rule is an opaque 401 that leaves no event', async () => {
    const unknown = await call(server, 'POST', '/v1/oauth/token', {
      body: { ...exchangeBody(fed, server, assertion), federation_rule_id: 'fdrl_01doesnotexist000000000' },
    });
    const foreign = await call(server, 'POST', '/v1/oauth/token', {
      body: { ...exchangeBody(fed, server, assertion), organization_id: '00000000-0000-4000-8000-000000000000' },
    });
    for (const res of [unknown, foreign]) {
      assert.equal(res.status, 401);
      assert.deepEqual(
        { type: res.body.type, error: res.body.error },
        { type: 'error', error: { type: 'authentication_error', message: 'Authentication failed' } },
      );
    }
    const events = await server.stores.authEvents.list(server.organizationId, { limit: 100, cursor: null, ruleId: null, outcome: 'denied', reason: null });
    assert.equal(events.items.length, 0);
  });
});
