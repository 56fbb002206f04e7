import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CredentialSealError, openCredential, sealCredential } from '../../src/gateway/credential-seal.ts';
import { openDatabase } from '../../src/storage/open-store.ts';
import { BOOTSTRAP_ACTOR_ID } from '../../src/bootstrap.ts';
import { DEFAULT_AUDIENCE, exchange, seedFederation } from '../helpers/federation-fixture.ts';
import { call } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { bearer, MESSAGE_BODY, mintToken, RecordingUpstream, startGatewayServer, TEST_SECRET_KEY, type GatewayTestServer } from './helpers.ts';

const DEFAULT_KEY = 'sk-ant-api03-server-default-0000';
const WORKSPACE_KEY = 'sk-ant-api03-workspace-own-key-SECRET-1234567890';
const path = (workspaceId: string) => `/v1/organizations/workspaces/${workspaceId}/upstream_credential`;

describe('credential sealing (AES-256-GCM)', () => {
  const owner = { organizationId: 'org-1', workspaceId: 'wrkspc_a' };

  test('round-trips, with a fresh nonce each time', () => {
    const a = sealCredential(TEST_SECRET_KEY, owner, WORKSPACE_KEY);
    const b = sealCredential(TEST_SECRET_KEY, owner, WORKSPACE_KEY);
    assert.notEqual(a, b);
    assert.equal(openCredential(TEST_SECRET_KEY, owner, a), WORKSPACE_KEY);
    const raw = Buffer.from(a, 'base64');
    assert.equal(raw[0], 1, 'version byte');
    assert.equal(raw.length, 1 + 12 + Buffer.byteLength(WORKSPACE_KEY) + 16, 'version | nonce | ciphertext | tag');
    assert.ok(!raw.includes(Buffer.from(WORKSPACE_KEY)));
  });

  test('another workspace, another organization, another key, a flipped bit or a bad version all fail', () => {
    const sealed = sealCredential(TEST_SECRET_KEY, owner, WORKSPACE_KEY);
    assert.throws(() => openCredential(TEST_SECRET_KEY, { ...owner, workspaceId: 'wrkspc_b' }, sealed), CredentialSealError);
    assert.throws(() => openCredential(TEST_SECRET_KEY, { ...owner, organizationId: 'org-2' }, sealed), CredentialSealError);
    assert.throws(() => openCredential(Buffer.alloc(32, 9), owner, sealed), CredentialSealError);
    const raw = Buffer.from(sealed, 'base64');
    raw[20] = raw[20]! ^ 1;
    assert.throws(() => openCredential(TEST_SECRET_KEY, owner, raw.toString('base64')), CredentialSealError);
    const versioned = Buffer.from(sealed, 'base64');
    versioned[0] = 2;
    assert.throws(() => openCredential(TEST_SECRET_KEY, owner, versioned.toString('base64')), /unknown version/);
    assert.throws(() => openCredential(TEST_SECRET_KEY, owner, 'AQID'), /truncated/);
    assert.throws(() => sealCredential(Buffer.alloc(16), owner, 'x'), TypeError);
  });
});

describe('the upstream credential Admin API extension', () => {
  let upstream: RecordingUpstream;
  let server: GatewayTestServer;
  let issuer: TestIssuer;
  let workspaceId: string;

  before(async () => {
    upstream = await RecordingUpstream.start();
    server = await startGatewayServer({ settings: { upstreamUrl: upstream.url, upstreamApiKey: DEFAULT_KEY } });
    issuer = await TestIssuer.start();
    workspaceId = (await server.stores.workspaces.getDefault(server.organizationId)).id;
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await issuer.close();
  });

  const adminAuth = () => ({ authorization: `Bearer ${server.adminToken}` });
  const createWorkspace = async (name: string) => {
    const res = await call(server, 'POST', '/v1/organizations/workspaces', { body: { name }, headers: server.adminHeaders });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.id as string;
  };

  test('PUT stores it sealed (no plain key in the database row), GET shows metadata only, calls then use it', async () => {
    const { token } = await mintToken(server, issuer);
    await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    assert.equal(upstream.last().headers['x-api-key'], DEFAULT_KEY, 'the server default before');

    const put = await call(server, 'PUT', path(workspaceId), { body: { api_key: WORKSPACE_KEY }, headers: server.adminHeaders });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.type, 'upstream_credential');
    assert.equal(put.body.workspace_id, workspaceId);
    assert.equal(put.body.configured, true);
    assert.match(put.body.updated_at, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(put.body.effective_source, 'workspace');
    assert.ok(!JSON.stringify(put.body).includes('SECRET'), 'the key is never echoed');

    const get = await call(server, 'GET', path(workspaceId), { headers: server.adminHeaders });
    assert.equal(get.status, 200);
    assert.deepEqual(get.body, put.body);

    // The raw row, read past the store ports, from whichever database the server uses.
    const db = openDatabase(server.settings.databaseUrl);
    try {
      const row = (await db.selectFrom('upstream_credentials').selectAll().where('workspace_id', '=', workspaceId).executeTakeFirst()) as Record<
        string,
        unknown
      >;
      assert.ok(row, 'a row was written');
      const dump = JSON.stringify(row);
      assert.ok(!dump.includes(WORKSPACE_KEY) && !dump.includes('SECRET'), 'no plain key at rest');
      assert.ok(!Buffer.from(String(row['sealed']), 'base64').includes(Buffer.from('SECRET')), 'not even inside the decoded blob');
      assert.equal(openCredential(TEST_SECRET_KEY, { organizationId: server.organizationId, workspaceId }, String(row['sealed'])), WORKSPACE_KEY);
      assert.equal(row['updated_by_actor_id'], BOOTSTRAP_ACTOR_ID, 'who set it is recorded');
    } finally {
      await db.destroy();
    }

    await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    assert.equal(upstream.last().headers['x-api-key'], WORKSPACE_KEY, 'the workspace key after');
  });

  test('DELETE is idempotent and the gateway falls back to the server default', async () => {
    await call(server, 'PUT', path(workspaceId), { body: { api_key: WORKSPACE_KEY }, headers: server.adminHeaders });
    for (let i = 0; i < 2; i++) {
      const del = await call(server, 'DELETE', path(workspaceId), { headers: adminAuth() });
      assert.equal(del.status, 200);
      assert.deepEqual(del.body, { type: 'upstream_credential_deleted', workspace_id: workspaceId });
    }
    const get = await call(server, 'GET', path(workspaceId), { headers: server.adminHeaders });
    assert.equal(get.body.configured, false);
    assert.equal(get.body.updated_at, null);
    assert.equal(get.body.effective_source, 'server_default');
    const { token } = await mintToken(server, issuer);
    await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    assert.equal(upstream.last().headers['x-api-key'], DEFAULT_KEY);
  });

  test('a sealed credential moved to another workspace does not open: 500, and no silent fallback to the default key', async () => {
    const other = await createWorkspace('moved-ciphertext');
    await call(server, 'PUT', path(workspaceId), { body: { api_key: WORKSPACE_KEY }, headers: server.adminHeaders });
    const stored = await server.stores.upstreamCredentials.get(server.organizationId, workspaceId);
    assert.ok(stored);
    await server.stores.upstreamCredentials.put({ ...stored, workspace_id: other });
    const subject = `moved-${Date.now()}`;
    const fed = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: subject }, rule: { workspace_ids: [other] } });
    await server.stores.memberships.upsert({
      service_account_id: fed.serviceAccount.id,
      workspace_id: other,
      workspace_role: 'workspace_developer',
      created_at: new Date().toISOString(),
      created_by_actor_id: null,
    });
    const minted = await exchange(server, fed, await issuer.sign({ sub: subject, aud: DEFAULT_AUDIENCE, jti: subject }));
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    const before = upstream.requests.length;
    const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(minted.body.access_token) });
    assert.equal(res.status, 500);
    assert.equal(res.body.error.type, 'api_error');
    assert.equal(upstream.requests.length, before, 'not forwarded with any key');
  });

  test('unknown workspace 404, archived workspace 400 on PUT (DELETE still fine)', async () => {
    const missing = await call(server, 'PUT', path('wrkspc_doesnotexist'), { body: { api_key: 'k' }, headers: server.adminHeaders });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.type, 'not_found_error');
    const archivedId = await createWorkspace('to-archive');
    const archive = await call(server, 'POST', `/v1/organizations/workspaces/${archivedId}/archive`, { headers: adminAuth() });
    assert.equal(archive.status, 200, JSON.stringify(archive.body));
    const put = await call(server, 'PUT', path(archivedId), { body: { api_key: 'k' }, headers: server.adminHeaders });
    assert.equal(put.status, 400);
    assert.match(put.body.error.message, /archived/);
    assert.equal((await call(server, 'DELETE', path(archivedId), { headers: adminAuth() })).status, 200);
  });

  test('bad bodies are 400 naming the field', async () => {
    for (const body of [
      {},
      { api_key: '' },
      { api_key: 'has space' },
      { api_key: 'line\nbreak' },
      { api_key: 'x'.repeat(1025) },
      { api_key: 'ok', extra: 1 },
      { api_key: 42 },
    ]) {
      const res = await call(server, 'PUT', path(workspaceId), { body, headers: server.adminHeaders });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.type, 'invalid_request_error');
      assert.match(res.body.error.message, /api_key|extra/);
    }
  });

  test('only org:admin callers: none 401, a workload developer token 403, wrong method 405', async () => {
    assert.equal((await call(server, 'GET', path(workspaceId))).status, 401);
    assert.equal((await call(server, 'PUT', path(workspaceId), { body: { api_key: 'k' } })).status, 401);
    const { token } = await mintToken(server, issuer, { scope: 'workspace:developer' });
    const res = await call(server, 'PUT', path(workspaceId), { body: { api_key: 'k' }, headers: bearer(token) });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.type, 'permission_error');
    const { token: admin } = await mintToken(server, issuer, { scope: 'org:admin' });
    assert.equal((await call(server, 'GET', path(workspaceId), { headers: bearer(admin) })).status, 200, 'an org:admin workload token may');
    const post = await call(server, 'POST', path(workspaceId), { body: { api_key: 'k' } });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'DELETE, GET, PUT');
  });

  test('without a secret key configured, PUT is 400 and nothing is stored', async () => {
    const keyless = await startGatewayServer({ settings: { upstreamUrl: upstream.url, secretKey: null } });
    try {
      const ws = (await keyless.stores.workspaces.getDefault(keyless.organizationId)).id;
      const res = await call(keyless, 'PUT', path(ws), { body: { api_key: WORKSPACE_KEY }, headers: keyless.adminHeaders });
      assert.equal(res.status, 400);
      assert.match(res.body.error.message, /OPENWIF_SECRET_KEY/);
      assert.equal(await keyless.stores.upstreamCredentials.get(keyless.organizationId, ws), null);
      const get = await call(keyless, 'GET', path(ws), { headers: keyless.adminHeaders });
      assert.equal(get.body.effective_source, 'none');
    } finally {
      await keyless.close();
    }
  });
});
