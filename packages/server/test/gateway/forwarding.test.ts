import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { call } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { bearer, gatewayCount, MESSAGE_BODY, mintToken, rawRequest, RecordingUpstream, startGatewayServer, type GatewayTestServer } from './helpers.ts';

const DEFAULT_KEY = 'sk-ant-api03-server-default-key-0123456789';

describe('forwarding to a real upstream', () => {
  let upstream: RecordingUpstream;
  let server: GatewayTestServer;
  let issuer: TestIssuer;
  let token: string;
  let serviceAccountId: string;
  let workspaceId: string;

  before(async () => {
    upstream = await RecordingUpstream.start();
    server = await startGatewayServer({ settings: { upstreamUrl: upstream.url, upstreamApiKey: DEFAULT_KEY, gatewayAllowPaths: ['/v1/files*'] } });
    issuer = await TestIssuer.start();
    const minted = await mintToken(server, issuer, { scope: 'workspace:developer' });
    token = minted.token;
    serviceAccountId = minted.federation.serviceAccount.id;
    workspaceId = minted.federation.defaultWorkspaceId;
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await issuer.close();
  });
  beforeEach(() => {
    upstream.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_upstream_123' });
      res.end('{"type":"message","id":"msg_up"}');
    };
  });

  test('the upstream gets the server key, never the client token; beta and version are rewritten, the body and query kept', async () => {
    const body = JSON.stringify(MESSAGE_BODY);
    const res = await rawRequest(server.url, {
      method: 'POST',
      path: '/v1/messages?beta=true',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'anthropic-beta': 'oauth-2025-04-20, files-api-2025-04-14,oauth-2025-04-20',
        'x-api-key': 'sk-ant-api03-client-supplied',
        cookie: 'session=secret',
        'anthropic-workspace-id': 'wrkspc_someone_else',
        'x-stainless-lang': 'js',
      },
      body,
    });
    assert.equal(res.status, 200, res.body);
    const got = upstream.last();
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/v1/messages?beta=true');
    assert.equal(got.body.toString(), body);
    assert.equal(got.headers['x-api-key'], DEFAULT_KEY);
    assert.equal(got.headers.authorization, undefined);
    assert.equal(got.headers.cookie, undefined);
    assert.equal(got.headers['anthropic-beta'], 'files-api-2025-04-14');
    assert.equal(got.headers['anthropic-version'], '2023-06-01', 'default version when the client sent none');
    assert.equal(got.headers['anthropic-workspace-id'], undefined);
    assert.equal(got.headers['x-stainless-lang'], 'js', 'other headers pass');
    assert.ok(!JSON.stringify(got.headers).includes(token), 'the client token appears nowhere upstream');
  });

  test('only the oauth beta value is dropped; a lone oauth beta removes the header; the client anthropic-version is kept', async () => {
    await rawRequest(server.url, {
      method: 'GET',
      path: '/v1/models',
      headers: { authorization: `Bearer ${token}`, 'anthropic-beta': 'oauth-2025-04-20', 'anthropic-version': '2026-10-21' },
    });
    assert.equal(upstream.last().headers['anthropic-beta'], undefined);
    assert.equal(upstream.last().headers['anthropic-version'], '2026-10-21');
  });

  test('hop-by-hop headers, and headers named in Connection, are not forwarded', async () => {
    await rawRequest(server.url, {
      method: 'GET',
      path: '/v1/models',
      headers: {
        authorization: `Bearer ${token}`,
        connection: 'keep-alive, x-hop-only',
        'x-hop-only': '1',
        te: 'trailers',
        'proxy-authorization': 'Basic eA==',
        'keep-alive': 'timeout=5',
        'x-end-to-end': 'yes',
      },
    });
    const got = upstream.last().headers;
    assert.equal(got['x-hop-only'], undefined);
    assert.equal(got.te, undefined);
    assert.equal(got['proxy-authorization'], undefined);
    assert.equal(got['x-end-to-end'], 'yes');
    assert.equal(got.host, new URL(upstream.url).host);
  });

  test('response: upstream request-id passed back, ours as openwif-request-id, our workspace id, no upstream cookies', async () => {
    upstream.behaviour = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'request-id': 'req_upstream_abc',
        'anthropic-workspace-id': 'wrkspc_upstream_side',
        'set-cookie': 'tracking=1',
        'anthropic-ratelimit-requests-remaining': '41',
        'x-should-retry': 'false',
      });
      res.end('{}');
    };
    const res = await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('request-id'), 'req_upstream_abc');
    assert.match(res.headers.get('openwif-request-id') ?? '', /^req_/);
    assert.notEqual(res.headers.get('openwif-request-id'), 'req_upstream_abc');
    assert.equal(res.headers.get('anthropic-workspace-id'), workspaceId);
    assert.equal(res.headers.get('set-cookie'), null);
    assert.equal(res.headers.get('anthropic-ratelimit-requests-remaining'), '41');
    assert.equal(res.headers.get('x-should-retry'), 'false');
  });

  for (const [status, type] of [
    [400, 'invalid_request_error'],
    [404, 'not_found_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [529, 'overloaded_error'],
  ] as const) {
    test(`an upstream ${status} is passed through with its exact body`, async () => {
      const errorBody = JSON.stringify({ type: 'error', error: { type, message: `upstream says ${status}` }, request_id: 'req_up_err' });
      upstream.behaviour = (_req, res) => {
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_up_err', ...(status === 429 ? { 'retry-after': '17' } : {}) });
        res.end(errorBody);
      };
      const res = await rawRequest(server.url, { method: 'POST', path: '/v1/messages', headers: bearer(token), body: JSON.stringify(MESSAGE_BODY) });
      assert.equal(res.status, status);
      assert.equal(res.body, errorBody);
      assert.equal(res.headers['request-id'], 'req_up_err');
      if (status === 429) assert.equal(res.headers['retry-after'], '17');
    });
  }

  test('an upstream 401 (bad upstream key) becomes 502, so clients do not throw away a valid token', async () => {
    upstream.behaviour = (_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}');
    };
    const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
    assert.equal(res.status, 502);
    assert.equal(res.body.error.type, 'api_error');
    assert.doesNotMatch(JSON.stringify(res.body), /x-api-key|sk-ant-api03/);
  });

  test('allow-listed paths are forwarded (any method), paths outside it are 404 and never reach the upstream', async () => {
    const before = upstream.requests.length;
    const del = await call(server, 'DELETE', '/v1/files/file_123', { headers: bearer(token) });
    assert.equal(del.status, 200);
    assert.equal(upstream.last().method, 'DELETE');
    assert.equal(upstream.last().url, '/v1/files/file_123');
    const other = await call(server, 'GET', '/v1/skills', { headers: bearer(token) });
    assert.equal(other.status, 404);
    assert.equal(other.body.error.type, 'not_found_error');
    assert.equal(upstream.requests.length, before + 1);
  });

  test('a wrong method on a built-in path is 405 with Allow, and is not forwarded', async () => {
    const before = upstream.requests.length;
    const res = await call(server, 'GET', '/v1/messages', { headers: bearer(token) });
    assert.equal(res.status, 405);
    assert.equal(res.body.error.type, 'method_not_allowed_error');
    assert.equal(res.headers.get('allow'), 'POST');
    assert.equal(upstream.requests.length, before);
  });

  test('each forwarded call is counted per service account, workspace and status', async () => {
    const labels = { service_account_id: serviceAccountId, workspace_id: workspaceId, status: '200' };
    const before = await gatewayCount(server.metrics, labels);
    await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    assert.equal(await gatewayCount(server.metrics, labels), before + 2);
    const scrape = await call(server, 'GET', '/metrics');
    assert.match(scrape.body, new RegExp(`openwif_gateway_requests_total\\{[^}]*service_account_id="${serviceAccountId}"`));
  });

  test('body cap: a declared Content-Length over the cap and a chunked body that grows past it are both 413', async () => {
    const small = await startGatewayServer({ settings: { upstreamUrl: upstream.url, upstreamApiKey: DEFAULT_KEY }, gateway: { maxBodyBytes: 1024 } });
    try {
      const { token: t } = await mintToken(small, issuer);
      const before = upstream.requests.length;
      const declared = await rawRequest(small.url, { method: 'POST', path: '/v1/messages', headers: bearer(t), body: 'x'.repeat(2048) });
      assert.equal(declared.status, 413);
      assert.equal(JSON.parse(declared.body).error.type, 'request_too_large');
      assert.equal(upstream.requests.length, before, 'a declared oversize body is refused before forwarding');
      const chunked = await rawRequest(small.url, { method: 'POST', path: '/v1/messages', headers: bearer(t), body: 'y'.repeat(5000), chunked: true });
      assert.equal(chunked.status, 413);
      assert.ok(
        upstream.requests.every((r) => r.body.length <= 1024),
        'the upstream never sees more than the cap',
      );
      const fine = await rawRequest(small.url, { method: 'POST', path: '/v1/messages', headers: bearer(t), body: JSON.stringify(MESSAGE_BODY), chunked: true });
      assert.equal(fine.status, 200);
      assert.equal(upstream.last().body.toString(), JSON.stringify(MESSAGE_BODY));
    } finally {
      await small.close();
    }
  });

  test('a body larger than the app-wide admin limit (256 KiB) but under the gateway cap is forwarded intact', async () => {
    const big = JSON.stringify({ ...MESSAGE_BODY, messages: [{ role: 'user', content: 'z'.repeat(600_000) }] });
    const res = await rawRequest(server.url, { method: 'POST', path: '/v1/messages', headers: bearer(token), body: big });
    assert.equal(res.status, 200, res.body);
    assert.equal(upstream.last().body.length, Buffer.byteLength(big));
  });
});

describe('upstream failures', () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await TestIssuer.start();
  });
  after(async () => issuer.close());

  test('nothing listening upstream is 502 api_error', async () => {
    const gone = await RecordingUpstream.start();
    const url = gone.url;
    await gone.close();
    const server = await startGatewayServer({ settings: { upstreamUrl: url, upstreamApiKey: DEFAULT_KEY } });
    try {
      const { token } = await mintToken(server, issuer);
      const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
      assert.equal(res.status, 502);
      assert.equal(res.body.type, 'error');
      assert.equal(res.body.error.type, 'api_error');
      assert.match(res.body.request_id, /^req_/);
      assert.doesNotMatch(res.body.error.message, /ECONNREFUSED|127\.0\.0\.1/);
    } finally {
      await server.close();
    }
  });

  test('an upstream that never answers is 504 timeout_error after the response-headers timeout', async () => {
    const silent = await RecordingUpstream.start();
    silent.behaviour = () => undefined;
    const server = await startGatewayServer({
      settings: { upstreamUrl: silent.url, upstreamApiKey: DEFAULT_KEY },
      gateway: { timeouts: { responseHeadersMs: 300 } },
    });
    try {
      const { token } = await mintToken(server, issuer);
      const started = Date.now();
      const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
      assert.equal(res.status, 504);
      assert.equal(res.body.error.type, 'timeout_error');
      assert.ok(Date.now() - started < 5_000);
      await silent.aborted[0];
    } finally {
      await server.close();
      await silent.close();
    }
  });

  test('with an upstream URL but no key for the workspace and no server default, calls are 403 and not forwarded', async () => {
    const upstream = await RecordingUpstream.start();
    const server = await startGatewayServer({ settings: { upstreamUrl: upstream.url, upstreamApiKey: null } });
    try {
      const { token } = await mintToken(server, issuer);
      const res = await call(server, 'GET', '/v1/models', { headers: bearer(token) });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.type, 'permission_error');
      assert.match(res.body.error.message, /upstream_credential/);
      assert.equal(upstream.requests.length, 0);
    } finally {
      await server.close();
      await upstream.close();
    }
  });
});

describe('admin and oauth paths are never forwarded, even under a /v1/* allow-list', () => {
  let upstream: RecordingUpstream;
  let server: GatewayTestServer;
  let issuer: TestIssuer;
  let token: string;

  before(async () => {
    upstream = await RecordingUpstream.start();
    server = await startGatewayServer({ settings: { upstreamUrl: upstream.url, upstreamApiKey: DEFAULT_KEY, gatewayAllowPaths: ['/v1/*'] } });
    issuer = await TestIssuer.start();
    ({ token } = await mintToken(server, issuer, { scope: 'workspace:developer' }));
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await issuer.close();
  });

  test('unknown /v1/organizations and /v1/oauth paths are 404 and the upstream sees nothing', async () => {
    for (const [method, path] of [
      ['GET', '/v1/organizations/api_keys'],
      ['GET', '/v1/organizations/workspaces/wrkspc_x/api_keys'],
      ['POST', '/v1/organizations/invites'],
      ['GET', '/v1/oauth/authorize'],
      ['DELETE', '/v1/oauth/token/x'],
    ]) {
      const res = await call(server, method!, path!, { headers: bearer(token) });
      assert.equal(res.status, 404, `${method} ${path}`);
    }
    assert.equal(upstream.requests.length, 0);
  });

  test('encoded, dot-segment and empty-segment paths are refused with 400, not normalised and forwarded', async () => {
    for (const path of ['/v1/%6Frganizations/api_keys', '/v1/files/..', '/v1/files/../organizations/x', '/v1//organizations', '/v1/files/a%2Fb']) {
      const res = await rawRequest(server.url, { method: 'GET', path, headers: bearer(token) });
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
    }
    assert.equal(upstream.requests.length, 0);
  });

  test('the real Admin API and token routes still answer (the wildcard did not shadow them)', async () => {
    const admin = await call(server, 'GET', '/v1/organizations/workspaces', { headers: server.adminHeaders });
    assert.equal(admin.status, 200);
    const tokenRoute = await call(server, 'POST', '/v1/oauth/token', { body: { grant_type: 'nope' } });
    assert.notEqual(tokenRoute.status, 404);
    assert.equal(upstream.requests.length, 0);
  });

  test('other /v1 paths are forwarded under the wildcard', async () => {
    const res = await call(server, 'GET', '/v1/skills?limit=2', { headers: bearer(token) });
    assert.equal(res.status, 200);
    assert.equal(upstream.last().url, '/v1/skills?limit=2');
  });
});
