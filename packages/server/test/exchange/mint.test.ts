import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashSecret } from '../../src/tokens/token-hash.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer, type KeyAlg } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchange, lastEvent, seedFederation } from '../helpers/federation-fixture.ts';

let n = 0;
const jti = () => `mint-${process.pid}-${++n}`;

describe('minting', () => {
  let server: TestServer;
  let issuer: TestIssuer;

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512']);
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as KeyAlg[]) {
    test(`a ${alg} assertion is exchanged for an sk-ant-oat01 token`, async () => {
      const fed = await seedFederation(server, { issuerUrl: issuer.url });
      const assertion = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }, { key: issuer.key(alg) });
      const res = await exchange(server, fed, assertion);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
      assert.match(res.body.access_token, /^sk-ant-oat01-[A-Za-z0-9_-]{43}$/);
      assert.equal(res.body.token_type, 'Bearer');
      assert.equal(res.body.scope, 'workspace:developer');
      assert.match(res.headers.get('request-id') ?? '', /^req_/);
    });
  }

  test('the token is stored only as its hash, bound to the resolved target', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const res = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }));
    const grant = await server.stores.tokens.find(hashSecret(res.body.access_token));
    assert.ok(grant);
    assert.equal(grant.service_account_id, fed.serviceAccount.id);
    assert.equal(grant.workspace_id, fed.defaultWorkspaceId);
    assert.equal(grant.rule_id, fed.rule.id);
    assert.equal(grant.subject, 'workload-1');
    assert.deepEqual(grant.scopes, ['workspace:developer']);
    assert.equal(await server.stores.tokens.find(res.body.access_token), null, 'the plain token is not a key');
  });

  test('a success is recorded with the verified claims', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const id = jti();
    const res = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: id, team: 'infra' }), {
      service_account_id: fed.serviceAccount.id,
      workspace_id: 'default',
    });
    assert.equal(res.status, 200);
    const event = await lastEvent(server, fed.rule.id);
    assert.equal(event?.outcome, 'success');
    assert.equal(event?.reason, null);
    assert.equal(event?.jti, id);
    assert.equal(event?.subject, 'workload-1');
    assert.equal(event?.claims?.team, 'infra');
    assert.equal(event?.service_account_id, fed.serviceAccount.id);
    assert.equal(event?.workspace_id, fed.defaultWorkspaceId);
    assert.equal(event?.requested_service_account_id, fed.serviceAccount.id);
    assert.equal(JSON.stringify(event).includes(res.body.access_token), false);
  });

  test('lifetime: the rule lifetime when the assertion has plenty left', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url, rule: { token_lifetime_seconds: 600 } });
    const res = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }, { lifetimeSeconds: 3600 }));
    assert.equal(res.body.expires_in, 600);
  });

  test('lifetime: twice the remaining assertion validity when that is shorter', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url, rule: { token_lifetime_seconds: 3600 } });
    const res = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }, { lifetimeSeconds: 300 }));
    assert.ok(res.body.expires_in <= 600 && res.body.expires_in >= 590, String(res.body.expires_in));
  });

  test('lifetime: a nearly expired assertion yields exactly 60 s', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url, rule: { token_lifetime_seconds: 3600 } });
    const now = Math.floor(Date.now() / 1000);
    const res = await exchange(
      server,
      fed,
      await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }, { now: now - 295, lifetimeSeconds: 300 }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.expires_in, 60);
  });

  test('an assertion without jti is not replay-checked; with check_jti off a jti may repeat', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const noJti = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE });
    assert.equal((await exchange(server, fed, noJti)).status, 200);
    assert.equal((await exchange(server, fed, noJti)).status, 200);
    const lax = await seedFederation(server, { issuerUrl: issuer.url, issuer: { check_jti: false } });
    const repeated = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'same' });
    assert.equal((await exchange(server, lax, repeated)).status, 200);
    assert.equal((await exchange(server, lax, repeated)).status, 200);
  });

  test('a denied attempt does not burn its jti', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const token = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() });
    assert.equal((await exchange(server, fed, token, { workspace_id: 'wrkspc_01nope' })).status, 401);
    assert.equal((await exchange(server, fed, token)).status, 200);
  });

  test('concurrent replays of one jti mint exactly one token', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const token = await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() });
    const results = await Promise.all(Array.from({ length: 10 }, () => exchange(server, fed, token)));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, ...Array(9).fill(401)]);
  });

  test('inline and explicit_url key sources', async () => {
    const key = issuer.key('ES256');
    const inline = await seedFederation(server, {
      issuerUrl: 'https://k8s.internal.example',
      jwks: { type: 'inline', keys: [key.publicJwk as Record<string, unknown>] },
    });
    const k8sToken = await issuer.sign(
      { iss: 'https://k8s.internal.example', sub: 'workload-1', aud: [DEFAULT_AUDIENCE] },
      { key, header: { typ: undefined } },
    );
    assert.equal((await exchange(server, inline, k8sToken)).status, 200);
    const explicit = await seedFederation(server, { issuerUrl: 'https://not-dialled.example', jwks: { type: 'explicit_url', url: `${issuer.url}/jwks` } });
    const t2 = await issuer.sign({ iss: 'https://not-dialled.example', sub: 'workload-1', aud: DEFAULT_AUDIENCE });
    assert.equal((await exchange(server, explicit, t2)).status, 200);
  });

  test('a minted token authenticates GET /v1/organizations/me; junk does not', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const res = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: jti() }));
    const me = await call(server, 'GET', '/v1/organizations/me', {
      headers: { authorization: `Bearer ${res.body.access_token}`, 'anthropic-beta': 'oauth-2025-04-20' },
    });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { id: server.organizationId, name: 'OpenWIF', type: 'organization' });
    for (const bad of [`${res.body.access_token}x`, 'sk-ant-oat01-unknown', '']) {
      const denied = await call(server, 'GET', '/v1/organizations/me', { headers: { authorization: `Bearer ${bad}` } });
      assert.equal(denied.status, 401, bad);
      assert.equal(denied.body.error.type, 'authentication_error');
    }
  });
});

describe('restart', () => {
  test('issuers, rules, service accounts and minted tokens survive a restart', async () => {
    const issuer = await TestIssuer.start();
    const first = await startTestServer();
    try {
      const fed = await seedFederation(first, { issuerUrl: issuer.url });
      const minted = await exchange(first, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'restart-1' }));
      assert.equal(minted.status, 200);
      await first.stop();

      const second = await startTestServer({}, { dataDir: first.dataDir });
      try {
        assert.equal(second.organizationId, first.organizationId);
        const me = await call(second, 'GET', '/v1/organizations/me', { headers: { authorization: `Bearer ${minted.body.access_token}` } });
        assert.equal(me.status, 200, 'a token minted before the restart still works');
        assert.ok(await second.stores.issuers.get(second.organizationId, fed.issuer.id));
        assert.ok(await second.stores.rules.get(second.organizationId, fed.rule.id));
        assert.ok(await second.stores.serviceAccounts.get(second.organizationId, fed.serviceAccount.id));
        const replay = await exchange(second, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'restart-1' }));
        assert.equal(replay.status, 401, 'the jti record survived too');
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
      await issuer.close();
    }
  });
});
