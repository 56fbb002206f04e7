import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { adminCall, createAccount, createWorkspace, expectError, expectOk, workloadToken } from './admin-fixture.ts';

describe('Admin API HTTP conventions', () => {
  let server: TestServer;
  let issuer: TestIssuer;

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['RS256']);
  });
  after(async () => {
    await issuer.close();
    await server.close();
  });

  const wrongMethods: Array<[string, string, string]> = [
    ['PUT', '/v1/organizations/service_accounts', 'GET, HEAD, POST'],
    ['DELETE', '/v1/organizations/service_accounts/svac_01x', 'GET, HEAD, POST'],
    ['PATCH', '/v1/organizations/federation_issuers/fdis_01x', 'GET, HEAD, POST'],
    ['GET', '/v1/organizations/federation_issuers/fdis_01x/archive', 'POST'],
    ['DELETE', '/v1/organizations/federation_rules', 'GET, HEAD, POST'],
    ['PUT', '/v1/organizations/federation_rules/fdrl_01x/workspaces', 'GET, HEAD, POST'],
    ['GET', '/v1/organizations/federation_rules/fdrl_01x/workspaces/wrkspc_01x', 'DELETE'],
    ['POST', '/v1/organizations/service_accounts/svac_01x/workspaces/wrkspc_01x', 'DELETE'],
    ['PATCH', '/v1/organizations/workspaces/wrkspc_01x/service_accounts/svac_01x', 'DELETE, GET, HEAD, POST'],
    ['POST', '/v1/organizations/me', 'GET, HEAD'],
  ];
  for (const [method, path, allow] of wrongMethods) {
    test(`${method} ${path} → 405 in the error envelope, before auth and body parsing`, async () => {
      const reply = await call(server, method, path, { headers: { 'content-type': 'application/json' }, raw: method === 'GET' ? undefined : '{not json' });
      expectError(reply, 405, 'method_not_allowed_error', new RegExp(method));
      assert.equal(reply.headers.get('allow'), allow);
    });
  }

  for (const path of ['/v1/organizations/nope', '/v1/organizations/federation_issuers/fdis_01x/verify', '/v1/organizations/service_accounts/a/b/c/d']) {
    test(`unknown route ${path} → 404 envelope`, async () => {
      expectError(await adminCall(server, 'GET', path), 404, 'not_found_error');
    });
  }

  test('unknown IDs → 404 not_found_error on every resource', async () => {
    for (const path of [
      '/v1/organizations/service_accounts/svac_01Unknown000000000000000',
      '/v1/organizations/federation_issuers/fdis_01Unknown000000000000000',
      '/v1/organizations/federation_rules/fdrl_01Unknown000000000000000',
      '/v1/organizations/workspaces/wrkspc_01Unknown000000000000000',
      '/v1/organizations/federation_rules/fdrl_01Unknown000000000000000/workspaces',
      '/v1/organizations/service_accounts/svac_01Unknown000000000000000/workspaces',
      '/v1/organizations/workspaces/wrkspc_01Unknown000000000000000/service_accounts',
    ]) {
      expectError(await adminCall(server, 'GET', path), 404, 'not_found_error');
    }
  });

  test('authentication: no token 401, unknown token 401, workspace-scoped token 403', async () => {
    expectError(await call(server, 'GET', '/v1/organizations/service_accounts'), 401, 'authentication_error');
    expectError(await adminCall(server, 'GET', '/v1/organizations/service_accounts', undefined, 'owif-wrong'), 401, 'authentication_error');
    expectError(await adminCall(server, 'GET', '/v1/organizations/service_accounts', undefined, 'sk-ant-oat01-forged'), 401, 'authentication_error');
    const { token } = await workloadToken(server, issuer, 'conv-dev', 'workspace:developer', 'developer');
    expectError(await adminCall(server, 'GET', '/v1/organizations/federation_rules', undefined, token), 403, 'permission_error', /org:admin/);
    // Authentication comes before validation: a bad body from an unauthenticated caller is still 401.
    expectError(await call(server, 'POST', '/v1/organizations/service_accounts', { body: { name: 42 } }), 401, 'authentication_error');
  });

  test('PageCursor limits and cursors: limit 0/101/abc → 400, bad cursor → 400, pages chain without overlap', async () => {
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'limit=-1',
      'limit=5.5',
      'limit=1e1',
      'page=not-a-cursor',
      'page=eyJ4IjoxfQ',
      'include_archived=maybe',
    ]) {
      const message = expectError(await adminCall(server, 'GET', `/v1/organizations/service_accounts?${q}`), 400, 'invalid_request_error');
      assert.match(message, /^(limit|page|include_archived):/);
    }
    for (const path of [
      '/v1/organizations/federation_issuers?limit=0',
      '/v1/organizations/federation_rules?limit=101',
      '/v1/organizations/federation_rules?page=%%%',
    ]) {
      expectError(await adminCall(server, 'GET', path), 400, 'invalid_request_error');
    }
    for (let i = 0; i < 5; i++) await createAccount(server, `page-sa-${i}`);
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const reply = expectOk(await adminCall(server, 'GET', `/v1/organizations/service_accounts?limit=2${next ? `&page=${encodeURIComponent(next)}` : ''}`));
      assert.ok(reply.data.length <= 2);
      assert.equal('has_more' in reply, false, 'PageCursor has no has_more');
      seen.push(...reply.data.map((a: { id: string }) => a.id));
      next = reply.next_page;
      pages++;
    } while (next !== null && pages < 20);
    assert.ok(pages >= 3);
    assert.equal(new Set(seen).size, seen.length);
  });

  test('List Workspaces Page envelope: limit 1–1000, ids ≤ 100, after_id/before_id exclusive', async () => {
    for (const q of ['limit=0', 'limit=1001', `after_id=a&before_id=b`, Array.from({ length: 101 }, (_, i) => `ids[]=wrkspc_${i}`).join('&')]) {
      expectError(await adminCall(server, 'GET', `/v1/organizations/workspaces?${q}`), 400, 'invalid_request_error');
    }
    const ids = [await createWorkspace(server, 'page-ws-a'), await createWorkspace(server, 'page-ws-b'), await createWorkspace(server, 'page-ws-c')];
    const first = expectOk(await adminCall(server, 'GET', '/v1/organizations/workspaces?limit=1000'));
    assert.equal(first.has_more, false);
    assert.deepEqual(first.data.map((w: { id: string }) => w.id).slice(-3), ids, 'oldest first');
    const one = expectOk(await adminCall(server, 'GET', `/v1/organizations/workspaces?limit=1&after_id=${ids[0]}`));
    assert.deepEqual(
      one.data.map((w: { id: string }) => w.id),
      [ids[1]],
    );
    assert.equal(one.has_more, true);
    assert.equal(one.first_id, ids[1]);
    assert.equal(one.last_id, ids[1]);
    const repeated = expectOk(await adminCall(server, 'GET', `/v1/organizations/workspaces?ids=${ids[0]}&ids=${ids[2]}`));
    assert.deepEqual(
      repeated.data.map((w: { id: string }) => w.id),
      [ids[0], ids[2]],
    );
    const empty = expectOk(await adminCall(server, 'GET', '/v1/organizations/workspaces?ids[]=wrkspc_01none'));
    assert.deepEqual(empty, { data: [], has_more: false, first_id: null, last_id: null });
  });

  test('bodies: invalid JSON, non-object, non-JSON content all 400; oversize 413 — never 500', async () => {
    const headers = { authorization: server.adminHeaders['authorization'] ?? '', 'content-type': 'application/json' };
    expectError(await call(server, 'POST', '/v1/organizations/service_accounts', { headers, raw: '{"name":' }), 400, 'invalid_request_error');
    expectError(await call(server, 'POST', '/v1/organizations/service_accounts', { headers, raw: '[]' }), 400, 'invalid_request_error');
    expectError(await call(server, 'POST', '/v1/organizations/service_accounts', { headers, raw: 'null' }), 400, 'invalid_request_error');
    expectError(
      await call(server, 'POST', '/v1/organizations/service_accounts', { headers: { ...headers, 'content-type': 'text/plain' }, raw: 'name=x' }),
      400,
      'invalid_request_error',
      /^body: must be object/,
    );
    expectError(
      await call(server, 'POST', '/v1/organizations/service_accounts', { headers: { ...headers, 'content-type': 'application/xml' }, raw: '<a/>' }),
      415,
      'invalid_request_error',
    );
    const huge = JSON.stringify({ name: 'big', description: 'x'.repeat(300 * 1024) });
    expectError(await call(server, 'POST', '/v1/organizations/service_accounts', { headers, raw: huge }), 413, 'request_too_large');
  });

  test('unknown top-level fields are ignored; successful creates return 200', async () => {
    const reply = await adminCall(server, 'POST', '/v1/organizations/service_accounts', { name: 'extra-fields', surprise: true, nested: { a: 1 } });
    const body = expectOk(reply);
    assert.equal(body.name, 'extra-fields');
    assert.equal('surprise' in body, false);
  });
});
