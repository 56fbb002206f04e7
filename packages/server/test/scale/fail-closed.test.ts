import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE, exchange, seedFederation } from '../helpers/federation-fixture.ts';
import { bearer, MESSAGE_BODY, startGatewayServer } from '../gateway/helpers.ts';

/** With Redis as the replay store, an unreachable Redis must never mean "mint without the check". */
describe('replay store unreachable', () => {
  let server: TestServer;
  let issuer: TestIssuer;

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startTestServer({ redisUrl: 'redis://127.0.0.1:1' });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  test('an exchange with a jti is refused with 503 in the envelope, and nothing is minted', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const res = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE, jti: 'needs-redis' }));
    assert.equal(res.status, 503);
    assert.equal(res.body.type, 'error');
    assert.equal(res.body.error.type, 'service_unavailable_error');
    assert.equal(JSON.stringify(res.body).includes('sk-ant-oat01-'), false);
  });

  test('an exchange without a jti needs no replay check and succeeds', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const res = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test('/readyz reports the unreachable dependency with 503', async () => {
    const res = await call(server, 'GET', '/readyz');
    assert.equal(res.status, 503);
    assert.equal(res.body.redis, 'unreachable');
    assert.equal(res.body.database, 'ok');
  });
});

/** With Redis holding the gateway's limits, an unreachable Redis must never mean "no limits". */
describe('gateway limits unreachable', () => {
  let server: TestServer;
  let issuer: TestIssuer;

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startGatewayServer({ settings: { redisUrl: 'redis://127.0.0.1:1' } });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  test('a gateway call with a valid token is refused with 503 in the envelope, not answered', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url, rule: { oauth_scope: 'workspace:inference' } });
    const minted = await exchange(server, fed, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }));
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(minted.body.access_token as string) });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.type, 'error');
    assert.equal(res.body.error.type, 'service_unavailable_error');
  });
});
