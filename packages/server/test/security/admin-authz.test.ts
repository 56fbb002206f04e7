import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { newId, type IdKind } from '../../src/domain/ids.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchange, seedFederation } from '../helpers/federation-fixture.ts';

interface Route {
  method: string;
  url: string;
}

/** Every Admin API route the running server registered, read from its router (not a hand-kept list). */
function adminRoutesOf(server: TestServer): Route[] {
  const tree = server.app.printRoutes({ commonPrefix: false });
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ├└─]*)(\/\S*) \(([^)]+)\)/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const url = stack.join('');
    if (!url.startsWith('/v1/organizations')) continue;
    for (const method of match[3]!.split(', ')) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, url });
    }
  }
  return routes;
}

const PARAM_KIND: Record<string, IdKind> = {
  service_account_id: 'serviceAccount',
  workspace_id: 'workspace',
  federation_issuer_id: 'issuer',
  federation_rule_id: 'rule',
  event_id: 'event',
};

/** The route's URL with every `:param` replaced by `ids[param]`, or a fresh random ID of the right prefix. */
function fill(url: string, ids: Record<string, string> = {}): string {
  return url.replace(/:(\w+)/g, (_, name: string) => {
    if (ids[name]) return ids[name]!;
    const kind = PARAM_KIND[name];
    assert.ok(kind, `unknown route parameter :${name}: teach this test its ID prefix`);
    return newId(kind);
  });
}

/** A body that passes validation where one is needed, so that authorization/lookup is what answers. */
function bodyFor(route: Route, ids: Record<string, string> = {}): unknown {
  if (route.method === 'PUT' && route.url.endsWith('/upstream_credential')) return { api_key: 'sk-ant-api03-authz-test-key' };
  if (route.method !== 'POST') return undefined;
  if (/\/federation_rules\/:federation_rule_id\/workspaces$/.test(route.url)) return { workspace_id: ids['workspace_id'] ?? newId('workspace') };
  if (/\/service_accounts\/:service_account_id\/workspaces$/.test(route.url))
    return { workspace_id: ids['workspace_id'] ?? newId('workspace'), workspace_role: 'workspace_user' };
  if (/\/workspaces\/:workspace_id\/service_accounts$/.test(route.url))
    return { service_account_id: ids['service_account_id'] ?? newId('serviceAccount'), workspace_role: 'workspace_user' };
  if (/\/workspaces\/:workspace_id\/service_accounts\/:service_account_id$/.test(route.url)) return { workspace_role: 'workspace_user' };
  return {};
}

/**
 * Issue 13, Admin API authorization: every route refuses a missing token, a workspace-scoped
 * workload token, and the org:admin token of an archived service account; IDs that are not this
 * organization's are 404 whatever their prefix.
 */
describe('Admin API authorization on every route', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let routes: Route[];
  let developerToken: string;
  let archivedAdminToken: string;
  let live: Record<string, string>;
  const wrongMethod = new Set<string>();

  const key = (r: Route) => `${r.method} ${r.url}`;
  const send = (route: Route, url: string, headers: Record<string, string>, ids: Record<string, string> = {}) => {
    const body = bodyFor(route, ids);
    return call(server, route.method, url, body === undefined ? { headers } : { headers, body });
  };

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['ES256']);
    routes = adminRoutesOf(server);

    const dev = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'dev' } });
    const devReply = await exchange(server, dev, await issuer.sign({ sub: 'dev', aud: DEFAULT_AUDIENCE, jti: randomUUID() }));
    assert.equal(devReply.status, 200, JSON.stringify(devReply.body));
    developerToken = devReply.body.access_token;

    const adm = await seedFederation(server, {
      issuerUrl: issuer.url,
      match: { subject_prefix: 'adm' },
      rule: { oauth_scope: 'org:admin' },
      serviceAccount: { organization_role: 'admin' },
    });
    const admReply = await exchange(server, adm, await issuer.sign({ sub: 'adm', aud: DEFAULT_AUDIENCE, jti: randomUUID() }));
    assert.equal(admReply.status, 200, JSON.stringify(admReply.body));
    archivedAdminToken = admReply.body.access_token;
    const me = await call(server, 'GET', '/v1/organizations/service_accounts', { headers: { authorization: `Bearer ${archivedAdminToken}` } });
    assert.equal(me.status, 200, 'the org:admin token works before its account is archived');
    const auth = { authorization: server.adminHeaders['authorization']! };
    assert.equal((await call(server, 'POST', `/v1/organizations/federation_rules/${adm.rule.id}/archive`, { headers: auth })).status, 200);
    const archived = await call(server, 'POST', `/v1/organizations/service_accounts/${adm.serviceAccount.id}/archive`, { headers: auth });
    assert.equal(archived.status, 200, JSON.stringify(archived.body));

    live = {
      service_account_id: dev.serviceAccount.id,
      workspace_id: dev.defaultWorkspaceId,
      federation_issuer_id: dev.issuer.id,
      federation_rule_id: dev.rule.id,
    };
    // Which method/path pairs exist only as 405 answers: learnt from the bootstrap admin itself.
    for (const route of routes) {
      const reply = await send(route, fill(route.url), auth);
      if (reply.status === 405) wrongMethod.add(key(route));
    }
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  test('the router lists the resources of the spec, each with real (non-405) methods', () => {
    const real = routes.filter((r) => !wrongMethod.has(key(r))).map(key);
    for (const expected of [
      'GET /v1/organizations/me',
      'POST /v1/organizations/service_accounts',
      'GET /v1/organizations/service_accounts/:service_account_id',
      'POST /v1/organizations/workspaces/:workspace_id/archive',
      'DELETE /v1/organizations/workspaces/:workspace_id/service_accounts/:service_account_id',
      'POST /v1/organizations/federation_issuers',
      'POST /v1/organizations/federation_rules/:federation_rule_id',
      'DELETE /v1/organizations/federation_rules/:federation_rule_id/workspaces/:workspace_id',
    ]) {
      assert.ok(real.includes(expected), `${expected} missing from ${real.join('\n')}`);
    }
    assert.ok(real.length >= 30, `only ${real.length} routes found`);
  });

  test('no credential, a malformed one, or an unknown one: 401 on every route', async () => {
    const failures: string[] = [];
    const credentials: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Basic YWRtaW46YWRtaW4=' },
      { authorization: `Bearer ${server.adminToken}x` },
      { authorization: `Bearer ${server.adminToken.slice(0, -1)}` },
      { authorization: 'Bearer sk-ant-oat01-forged-token-0000000000000000000000000000' },
      { 'x-api-key': 'sk-ant-admin01-forged' },
      { authorization: `Bearer ${'a'.repeat(4096)}` },
    ];
    for (const route of routes) {
      if (wrongMethod.has(key(route))) continue;
      for (const headers of credentials) {
        const reply = await send(route, fill(route.url, live), headers, live);
        if (reply.status !== 401) failures.push(`${key(route)} with ${JSON.stringify(headers).slice(0, 60)} → ${reply.status}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('a workspace:developer workload token: 403 on every route but GET /me', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      if (wrongMethod.has(key(route))) continue;
      const reply = await send(route, fill(route.url, live), { authorization: `Bearer ${developerToken}` }, live);
      const expected = key(route) === 'GET /v1/organizations/me' ? 200 : 403;
      if (reply.status !== expected) failures.push(`${key(route)} → ${reply.status} (expected ${expected})`);
    }
    assert.deepEqual(failures, []);
  });

  test('an archived service account’s org:admin token: 401 on every route, /me included', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      if (wrongMethod.has(key(route))) continue;
      const reply = await send(route, fill(route.url, live), { authorization: `Bearer ${archivedAdminToken}` }, live);
      if (reply.status !== 401) failures.push(`${key(route)} → ${reply.status}`);
    }
    assert.deepEqual(failures, []);
  });

  test('the 405 fallbacks refuse everyone alike and run no handler', async () => {
    assert.ok(wrongMethod.size > 0);
    for (const k of wrongMethod) {
      const [method, url] = k.split(' ') as [string, string];
      const reply = await call(server, method, fill(url, live), {});
      assert.equal(reply.status, 405, `${k} → ${reply.status}`);
    }
  });

  test('IDs that are not this organization’s: 404 on every route that takes one, even for the admin', async () => {
    const auth = { authorization: server.adminHeaders['authorization']! };
    const failures: string[] = [];
    for (const route of routes) {
      if (wrongMethod.has(key(route)) || !route.url.includes(':')) continue;
      const params = [...route.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      // Each parameter in turn is foreign while the others are live objects of this organization.
      for (const foreign of params) {
        const ids = Object.fromEntries(params.filter((p) => p !== foreign && live[p]).map((p) => [p, live[p]!]));
        const reply = await send(route, fill(route.url, ids), auth, ids);
        // Spec §3.5: removing a rule's workspace enablement is idempotent (200 even when absent), so
        // an unknown workspace there is a no-op that only echoes the IDs back.
        if (route.method === 'DELETE' && route.url.endsWith('/federation_rules/:federation_rule_id/workspaces/:workspace_id') && foreign === 'workspace_id') {
          assert.equal(reply.status, 200);
          assert.deepEqual(Object.keys(reply.body).sort(), ['federation_rule_id', 'type', 'workspace_id']);
          continue;
        }
        if (reply.status !== 404) failures.push(`${key(route)} with a random ${foreign} → ${reply.status}: ${JSON.stringify(reply.body).slice(0, 160)}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
