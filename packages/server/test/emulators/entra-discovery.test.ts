import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startEntraFixture, type EntraFixture } from './entra-fixture.ts';

describe('Entra emulator discovery, JWKS and key rotation', () => {
  let fx: EntraFixture;
  before(async () => {
    fx = await startEntraFixture({ keyGraceSeconds: 3600 });
  });
  after(() => fx.close());

  const getJson = async (path: string) => {
    const response = await fx.fetch(`${fx.entra.baseUrl}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const tid = () => fx.entra.tenantId;

  it('serves the v2 discovery document with issuer {base}/{tid}/v2.0', async () => {
    const { status, body } = await getJson(`/${tid()}/v2.0/.well-known/openid-configuration`);
    assert.equal(status, 200);
    assert.equal(body.issuer, `${fx.entra.baseUrl}/${tid()}/v2.0`);
    assert.equal(body.jwks_uri, `${fx.entra.baseUrl}/${tid()}/discovery/v2.0/keys`);
    assert.equal(body.token_endpoint, `${fx.entra.baseUrl}/${tid()}/oauth2/v2.0/token`);
    assert.deepEqual(body.id_token_signing_alg_values_supported, ['RS256']);
    assert.deepEqual(body.subject_types_supported, ['pairwise']);
    assert.equal(typeof body.authorization_endpoint, 'string');
  });

  it('serves the v1 discovery document with the sts-style issuer {base}/{tid}/ (trailing slash)', async () => {
    const { body } = await getJson(`/${tid()}/.well-known/openid-configuration`);
    assert.equal(body.issuer, `${fx.entra.baseUrl}/${tid()}/`);
    assert.equal(body.jwks_uri, `${fx.entra.baseUrl}/${tid()}/discovery/keys`);
    assert.equal(body.token_endpoint, `${fx.entra.baseUrl}/${tid()}/oauth2/token`);
  });

  it('uses the {tenantid} placeholder for common/organizations', async () => {
    const { body } = await getJson('/common/v2.0/.well-known/openid-configuration');
    assert.equal(body.issuer, `${fx.entra.baseUrl}/{tenantid}/v2.0`);
    const keys = await getJson('/common/discovery/v2.0/keys');
    assert.equal((keys.body.keys as Array<Record<string, string>>)[0]?.issuer, `${fx.entra.baseUrl}/{tenantid}/v2.0`);
  });

  it('publishes keys like Entra: kid = x5t = SHA-1 of x5c[0], no alg, and an issuer member', async () => {
    const { body } = await getJson(`/${tid()}/discovery/v2.0/keys`);
    const keys = body.keys as Array<Record<string, unknown>>;
    assert.equal(keys.length, 1);
    const [key] = keys;
    assert.deepEqual(Object.keys(key ?? {}).sort(), ['e', 'issuer', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t']);
    assert.equal(key?.alg, undefined);
    assert.equal(key?.kid, key?.x5t);
    assert.equal(key?.issuer, fx.entra.issuer('2.0'));
    const certificate = new X509Certificate(Buffer.from((key?.x5c as string[])[0] ?? '', 'base64'));
    assert.equal(certificate.subject, 'CN=accounts.accesscontrol.windows.net');
    assert.equal(Buffer.from(certificate.fingerprint.replaceAll(':', ''), 'hex').toString('base64url'), key?.x5t);
    const fromJwk = createPublicKey({ key: { kty: 'RSA', n: String(key?.n), e: String(key?.e) }, format: 'jwk' });
    assert.ok(certificate.publicKey.equals(fromJwk), 'x5c certifies the published n/e');
    assert.ok(certificate.verify(certificate.publicKey), 'self-signed');
    const v1 = await getJson(`/${tid()}/discovery/keys`);
    assert.equal((v1.body.keys as Array<Record<string, unknown>>)[0]?.issuer, fx.entra.issuer('1.0'));
  });

  it('answers AADSTS90002 for an unknown tenant and 404 for unknown paths', async () => {
    const unknown = await getJson('/11111111-1111-4111-8111-111111111111/v2.0/.well-known/openid-configuration');
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.error_codes, [90002]);
    assert.equal((await getJson(`/${tid()}/v2.0/nothing`)).status, 404);
    const post = await fx.fetch(`${fx.entra.baseUrl}/${tid()}/discovery/keys`, { method: 'POST' });
    assert.equal(post.status, 405);
    await post.body?.cancel();
  });

  it('rotates keys: new kid signs, the old key verifies during the grace period, then disappears', async () => {
    const resource = fx.v2Resource.uri;
    const before = await fx.entra.issueManagedIdentityToken({ clientId: fx.clientId, resource });
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    const { kid: newKid } = await fx.entra.rotateKeys();
    assert.notEqual(newKid, oldKid);
    const afterRotation = await fx.entra.issueManagedIdentityToken({ clientId: fx.clientId, resource });
    assert.equal(decodeProtectedHeader(afterRotation.accessToken).kid, newKid);

    const jwks = async () => (await getJson(`/${tid()}/discovery/v2.0/keys`)).body as { keys: Array<{ kid: string }> };
    assert.deepEqual((await jwks()).keys.map((key) => key.kid).sort(), [oldKid, newKid].sort());
    for (const token of [before.accessToken, afterRotation.accessToken]) {
      await jwtVerify(token, createLocalJWKSet(await jwks()), { issuer: fx.entra.issuer('2.0'), currentDate: fx.clock.now });
    }
    fx.clock.now = new Date(fx.clock.now.getTime() + 3601_000);
    try {
      const later = await jwks();
      assert.deepEqual(
        later.keys.map((key) => key.kid),
        [newKid],
      );
      await assert.rejects(jwtVerify(before.accessToken, createLocalJWKSet(later), { currentDate: fx.clock.now }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    } finally {
      fx.clock.now = new Date();
    }
  });

  it('publishes a key ahead of use with publishOnly, and the next rotation promotes it', async () => {
    const active = fx.entra.activeKid;
    const { kid: pending } = await fx.entra.rotateKeys({ publishOnly: true });
    assert.equal(fx.entra.activeKid, active);
    const { body } = await getJson(`/${tid()}/discovery/v2.0/keys`);
    assert.ok((body.keys as Array<{ kid: string }>).some((key) => key.kid === pending));
    const { kid } = await fx.entra.rotateKeys();
    assert.equal(kid, pending);
    assert.equal(fx.entra.activeKid, pending);
  });

  it('refuses managed-identity tokens for unknown clients or resources', async () => {
    await assert.rejects(fx.entra.issueManagedIdentityToken({ clientId: 'nope', resource: fx.v2Resource.uri }), { name: 'AadstsError', code: 700016 });
    await assert.rejects(fx.entra.issueManagedIdentityToken({ clientId: fx.clientId, resource: 'api://nope' }), { name: 'AadstsError', code: 500011 });
  });
});
