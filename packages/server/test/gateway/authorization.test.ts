import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId } from '../../src/domain/ids.ts';
import type { Workspace } from '../../src/domain/types.ts';
import { InMemoryRateLimiter } from '../../src/gateway/index.ts';
import { call } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchange, seedFederation } from '../helpers/federation-fixture.ts';
import { bearer, MESSAGE_BODY, mintToken, RecordingUpstream, startGatewayServer, type GatewayTestServer } from './helpers.ts';

describe('who may call the gateway', () => {
  let upstream: RecordingUpstream;
  let server: GatewayTestServer;
  let issuer: TestIssuer;
  let clock = Date.now();

  before(async () => {
    upstream = await RecordingUpstream.start();
    server = await startGatewayServer({
      settings: { upstreamUrl: upstream.url, upstreamApiKey: 'sk-ant-api03-auth-key', gatewayAllowPaths: ['/v1/files*'] },
      gateway: { rateLimiter: new InMemoryRateLimiter({ requestsPerMinute: 2, now: () => clock }) },
      now: () => new Date(clock),
    });
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await issuer.close();
  });

  const unauthorized = async (headers: Record<string, string>) => {
    const before = upstream.requests.length;
    const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers });
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(res.body.type, 'error');
    assert.equal(res.body.error.type, 'authentication_error');
    assert.match(res.body.request_id, /^req_/);
    assert.equal(res.headers.get('anthropic-workspace-id'), null, 'no workspace before authentication');
    assert.equal(upstream.requests.length, before, 'nothing forwarded');
    return res;
  };

  test('no credentials, a non-Bearer scheme, and a token in x-api-key are 401', async () => {
    const { token } = await mintToken(server, issuer);
    await unauthorized({});
    await unauthorized({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    await unauthorized({ 'x-api-key': token });
  });

  test('malformed, unknown and over-long tokens, and API keys, are 401 with one opaque message', async () => {
    const messages = new Set<string>();
    for (const t of ['garbage', 'sk-ant-oat01-unknownunknownunknownunknownunknownunkno', `sk-ant-oat01-${'a'.repeat(400)}`, 'sk-ant-api03-realkeyshape']) {
      const res = await unauthorized(bearer(t));
      messages.add(res.body.error.message);
    }
    assert.equal(messages.size, 1);
  });

  test('an expired token is 401', async () => {
    const { token } = await mintToken(server, issuer);
    assert.equal((await call(server, 'GET', '/v1/models', { headers: bearer(token) })).status, 200);
    const saved = clock;
    clock += 601_000;
    try {
      await unauthorized(bearer(token));
    } finally {
      clock = saved;
    }
  });

  test('archiving the service account stops its token on the very next call', async () => {
    const { token, federation } = await mintToken(server, issuer);
    assert.equal((await call(server, 'GET', '/v1/models', { headers: bearer(token) })).status, 200);
    await server.stores.serviceAccounts.update({ ...federation.serviceAccount, archived_at: new Date(clock).toISOString() });
    await unauthorized(bearer(token));
  });

  test('removing the service account from the workspace stops its token on the very next call', async () => {
    const org = server.organizationId;
    const now = new Date(clock).toISOString();
    const workspace: Workspace = {
      id: newId('workspace'),
      organization_id: org,
      name: `ws-${clock}`,
      is_default: false,
      display_color: '#6C5BB9',
      tags: {},
      data_residency: { workspace_geo: 'us', allowed_inference_geos: 'unrestricted', default_inference_geo: 'us' },
      created_at: now,
      archived_at: null,
    };
    await server.stores.workspaces.insert(workspace);
    const workspaceId = workspace.id;
    const subject = `member-${clock}`;
    const federation = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: subject }, rule: { workspace_ids: [workspaceId] } });
    await server.stores.memberships.upsert({
      service_account_id: federation.serviceAccount.id,
      workspace_id: workspaceId,
      workspace_role: 'workspace_developer',
      created_at: now,
      created_by_actor_id: null,
    });
    const minted = await exchange(server, federation, await issuer.sign({ sub: subject, aud: DEFAULT_AUDIENCE, jti: `m-${clock}` }));
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    const token = minted.body.access_token as string;
    const ok = await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('anthropic-workspace-id'), workspaceId);
    await server.stores.memberships.delete(federation.serviceAccount.id, workspaceId);
    await unauthorized(bearer(token));
  });

  test('workspace:inference may call messages, count_tokens and models, but not allow-listed developer paths (403)', async () => {
    const { token } = await mintToken(server, issuer, { scope: 'workspace:inference' });
    assert.equal((await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) })).status, 200);
    assert.equal((await call(server, 'POST', '/v1/messages/count_tokens', { body: MESSAGE_BODY, headers: bearer(token) })).status, 200);
    clock += 60_000; // a fresh minute of rate budget
    assert.equal((await call(server, 'GET', '/v1/models/claude-x', { headers: bearer(token) })).status, 200);
    const before = upstream.requests.length;
    const denied = await call(server, 'GET', '/v1/files', { headers: bearer(token) });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.type, 'permission_error');
    assert.match(denied.body.error.message, /workspace:developer/);
    assert.ok(denied.headers.get('anthropic-workspace-id'), 'authenticated failures carry the workspace');
    assert.equal(upstream.requests.length, before);
  });

  test('an org:admin token is not for inference: 403', async () => {
    const { token } = await mintToken(server, issuer, { scope: 'org:admin' });
    const before = upstream.requests.length;
    const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.type, 'permission_error');
    assert.match(res.body.error.message, /org:admin/);
    assert.equal(upstream.requests.length, before);
  });

  test('rate limit: past the per-minute budget a service account gets 429 with retry-after, others do not', async () => {
    clock += 120_000;
    const { token } = await mintToken(server, issuer);
    const { token: other } = await mintToken(server, issuer);
    assert.equal((await call(server, 'GET', '/v1/models', { headers: bearer(token) })).status, 200);
    assert.equal((await call(server, 'GET', '/v1/models', { headers: bearer(token) })).status, 200);
    const before = upstream.requests.length;
    const limited = await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.type, 'rate_limit_error');
    assert.equal(limited.headers.get('retry-after'), '30', 'one request refills in 30 s at 2/min');
    assert.equal(upstream.requests.length, before);
    assert.equal((await call(server, 'GET', '/v1/models', { headers: bearer(other) })).status, 200, 'limits are per service account');
    clock += 30_000;
    assert.equal((await call(server, 'GET', '/v1/models', { headers: bearer(token) })).status, 200, 'the budget refills');
  });
});

describe('InMemoryRateLimiter', () => {
  test('refuses bad limits', () => {
    assert.throws(() => new InMemoryRateLimiter({ requestsPerMinute: 0 }), TypeError);
    assert.throws(() => new InMemoryRateLimiter({ maxConcurrent: 1.5 }), TypeError);
  });

  test('slots release once, even when released twice', async () => {
    const limiter = new InMemoryRateLimiter({ maxConcurrent: 1 });
    const slot = await limiter.open('sa');
    assert.ok(slot);
    assert.equal(await limiter.open('sa'), null);
    slot.release();
    slot.release();
    const again = await limiter.open('sa');
    assert.ok(again);
    assert.equal(await limiter.open('sa'), null, 'a double release did not create a second slot');
  });

  test('memory stays bounded: past maxKeys the oldest bucket is dropped', async () => {
    let now = 0;
    const limiter = new InMemoryRateLimiter({ requestsPerMinute: 1, maxKeys: 2, now: () => now });
    assert.deepEqual(await limiter.take('a'), { allowed: true });
    assert.deepEqual(await limiter.take('b'), { allowed: true });
    assert.equal((await limiter.take('a')).allowed, false);
    assert.deepEqual(await limiter.take('c'), { allowed: true });
    assert.deepEqual(await limiter.take('a'), { allowed: true }, "a's exhausted bucket was the oldest and was dropped");
  });
});
