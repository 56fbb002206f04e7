import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedFederation } from '../helpers/federation-fixture.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';

describe('POST /v1/organizations/federation_issuers/{id}/verify', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['RS256', 'ES256']);
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  test('reports the keys a reachable issuer publishes', async () => {
    const fed = await seedFederation(server, { issuerUrl: issuer.url });
    const res = await call(server, 'POST', `/v1/organizations/federation_issuers/${fed.issuer.id}/verify`, {
      headers: { authorization: server.adminHeaders.authorization! },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.ok, true);
    assert.deepEqual(res.body.keys.map((k: { kid: string }) => k.kid).sort(), issuer.keys.map((k) => k.kid).sort());
  });

  test('reports a failure without failing the request, and refuses strangers', async () => {
    const broken = await seedFederation(server, { issuerUrl: 'https://broken.example', jwks: { type: 'explicit_url', url: 'http://127.0.0.1:1/jwks' } });
    const res = await call(server, 'POST', `/v1/organizations/federation_issuers/${broken.issuer.id}/verify`, {
      headers: { authorization: server.adminHeaders.authorization! },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, false);
    assert.ok(res.body.error?.code, JSON.stringify(res.body));
    assert.equal((await call(server, 'POST', `/v1/organizations/federation_issuers/${broken.issuer.id}/verify`)).status, 401);
    assert.equal(
      (
        await call(server, 'POST', '/v1/organizations/federation_issuers/fdis_01nope/verify', {
          headers: { authorization: server.adminHeaders.authorization! },
        })
      ).status,
      404,
    );
  });
});
