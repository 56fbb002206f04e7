import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Issuer } from '../../src/domain/types.ts';
import { verifyJwsSignature } from '../../src/trust/jws-signature.ts';
import { IssuerKeyCache, TrustError, type TrustFailure } from '../../src/trust/key-resolver.ts';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';
import { issuerRecord, JwksServer, manualClock, newSigningKey, signWith, type SigningKey } from './jwks-fixture.ts';

const loopback = new OutboundPolicy(['127.0.0.1/32']);
const MINUTE = 60_000;

async function verifies(cache: IssuerKeyCache, issuer: Issuer, token: string): Promise<void> {
  const [headerPart, payloadPart, signaturePart] = token.split('.');
  const header = JSON.parse(Buffer.from(headerPart!, 'base64url').toString()) as { kid: string; alg: string };
  const key = await cache.keyFor(issuer, header);
  assert.equal(await verifyJwsSignature(key, `${headerPart}.${payloadPart}`, Buffer.from(signaturePart!, 'base64url')), true, 'the signature verifies');
}

async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(condition(), what);
}

async function denied(promise: Promise<unknown>, reason: TrustFailure): Promise<TrustError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TrustError, `expected a TrustError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return err;
  }
  assert.fail(`expected ${reason}`);
}

describe('IssuerKeyCache', () => {
  let server: JwksServer;
  let k1: SigningKey;
  let clock: ReturnType<typeof manualClock>;
  let cache: IssuerKeyCache;
  let issuer: Issuer;

  beforeEach(async () => {
    server = await JwksServer.start();
    k1 = await newSigningKey('RS256', 'k1');
    server.publish(k1);
    clock = manualClock();
    cache = new IssuerKeyCache({ policy: loopback, now: clock.now, fetchTimeoutMs: 1_000 });
    issuer = issuerRecord(server.url, { type: 'explicit_url', url: server.jwksUrl });
  });
  afterEach(() => server.close());

  it('verifies a token signed with a published key', async () => {
    await verifies(cache, issuer, await signWith(k1));
    assert.equal(server.requests.jwks, 1);
  });

  it('accepts both keys during a rotation and drops the old one after the grace period', async () => {
    const k2 = await newSigningKey('RS256', 'k2');
    const oldToken = await signWith(k1);
    await verifies(cache, issuer, oldToken);
    server.publish(k1, k2);
    await cache.refresh(issuer);
    server.publish(k2);
    clock.advance(MINUTE);
    await cache.refresh(issuer);
    await verifies(cache, issuer, oldToken);
    await verifies(cache, issuer, await signWith(k2));
    clock.advance(9 * MINUTE);
    await verifies(cache, issuer, oldToken);
    clock.advance(MINUTE + 1);
    await denied(verifies(cache, issuer, oldToken), 'kid_not_found');
    await cache.refresh(issuer);
    assert.deepEqual(
      cache.cachedKeys(issuer.id).map((k) => k.kid),
      ['k2'],
    );
  });

  it('picks up a key signed before the next poll through one on-demand fetch', async () => {
    await cache.refresh(issuer);
    const k2 = await newSigningKey('ES256', 'k2');
    server.publish(k1, k2);
    await verifies(cache, issuer, await signWith(k2));
    assert.equal(server.requests.jwks, 2);
  });

  it('answers a flood of unknown kids with at most one fetch per cooldown', async () => {
    await cache.refresh(issuer);
    const flood = () => Promise.all(Array.from({ length: 200 }, () => denied(cache.keyFor(issuer, { kid: randomUUID(), alg: 'RS256' }), 'kid_not_found')));
    await flood();
    assert.equal(server.requests.jwks, 2, 'one fetch for the whole concurrent flood');
    clock.advance(29_000);
    await flood();
    assert.equal(server.requests.jwks, 2, 'none within the cooldown');
    clock.advance(1_000);
    await flood();
    assert.equal(server.requests.jwks, 3, 'one more after the cooldown');
    await verifies(cache, issuer, await signWith(k1));
  });

  it('shares one fetch among concurrent cold-start requests while the endpoint is down', async () => {
    server.mode = 'status-500';
    const results = await Promise.all(Array.from({ length: 50 }, () => denied(cache.keyFor(issuer, { kid: 'k1', alg: 'RS256' }), 'jwks_unavailable')));
    assert.equal(server.requests.jwks, 1);
    assert.match(results[0]!.message, /HTTP 500/);
    await denied(cache.keyFor(issuer, { kid: 'k1', alg: 'RS256' }), 'jwks_unavailable');
    assert.equal(server.requests.jwks, 1, 'a failed cold fetch is not retried within the cooldown');
  });

  it('serves cached keys while the endpoint is down, up to the stale limit, then fails with jwks_unavailable', async () => {
    const token = await signWith(k1);
    await verifies(cache, issuer, token);
    server.mode = 'status-500';
    clock.advance(6 * MINUTE);
    await verifies(cache, issuer, token);
    clock.advance(23 * 60 * MINUTE);
    await verifies(cache, issuer, token);
    await eventually(() => server.requests.jwks >= 2, 'background refreshes were attempted');
    clock.advance(60 * MINUTE);
    const err = await denied(verifies(cache, issuer, token), 'jwks_unavailable');
    assert.match(err.message, /longer ago than the stale limit/);
    server.mode = 'ok';
    clock.advance(30_000);
    await verifies(cache, issuer, token);
  });

  for (const mode of ['garbage', 'oversized', 'redirect', 'slow'] as const) {
    it(`keeps the last-good keys when a refresh gets a ${mode} answer`, async () => {
      const token = await signWith(k1);
      await verifies(cache, issuer, token);
      server.mode = mode;
      await assert.rejects(cache.refresh(issuer));
      await verifies(cache, issuer, token);
      assert.deepEqual(
        cache.cachedKeys(issuer.id).map((k) => k.kid),
        ['k1'],
      );
    });
  }

  it('refuses a key whose type or curve cannot verify the requested alg', async () => {
    const ec = await newSigningKey('ES256', 'ec');
    server.publish(k1, ec);
    await denied(cache.keyFor(issuer, { kid: 'ec', alg: 'ES384' }), 'kid_not_found');
    await denied(cache.keyFor(issuer, { kid: 'ec', alg: 'RS256' }), 'kid_not_found');
    await denied(cache.keyFor(issuer, { kid: 'k1', alg: 'ES256' }), 'kid_not_found');
    await denied(cache.keyFor(issuer, { kid: 'k1', alg: 'HS256' }), 'kid_not_found');
    await verifies(cache, issuer, await signWith(ec));
  });

  it('verifies with an Entra-style key that names no alg', async () => {
    const { alg: _alg, ...entraJwk } = { ...k1.publicJwk, x5t: 'k1', issuer: 'https://login.microsoftonline.com/t/v2.0' };
    server.published = [entraJwk];
    await verifies(cache, issuer, await signWith(k1));
  });

  it('starts afresh when the issuer key configuration changes', async () => {
    await verifies(cache, issuer, await signWith(k1));
    const other = await JwksServer.start();
    try {
      const k9 = await newSigningKey('RS256', 'k9');
      other.publish(k9);
      const moved = { ...issuer, jwks: { type: 'explicit_url' as const, url: other.jwksUrl } };
      await denied(cache.keyFor(moved, { kid: 'k1', alg: 'RS256' }), 'kid_not_found');
      await verifies(cache, moved, await signWith(k9));
    } finally {
      await other.close();
    }
  });
});

describe('IssuerKeyCache key sources', () => {
  let server: JwksServer;
  let key: SigningKey;
  beforeEach(async () => {
    server = await JwksServer.start();
    key = await newSigningKey('ES384', 'd1');
    server.publish(key);
  });
  afterEach(() => server.close());

  it('discovers jwks_uri from issuer_url when the document names that issuer', async () => {
    const cache = new IssuerKeyCache({ policy: loopback });
    const issuer = issuerRecord(server.url, { type: 'discovery' });
    await verifies(cache, issuer, await signWith(key));
    assert.deepEqual(server.requests, { discovery: 1, jwks: 1, redirectTarget: 0 });
  });

  it('refuses a discovery document from issuer_url that names another issuer', async () => {
    server.discoveryIssuer = 'https://attacker.example';
    const cache = new IssuerKeyCache({ policy: loopback });
    const err = await denied(cache.keyFor(issuerRecord(server.url, { type: 'discovery' }), { kid: 'd1', alg: 'ES384' }), 'jwks_unavailable');
    assert.match(err.message, /names issuer "https:\/\/attacker.example"/);
    assert.equal(server.requests.jwks, 0);
  });

  it('uses discovery_base for an issuer that shares another issuer keys (Entra v1 vs v2)', async () => {
    server.discoveryIssuer = 'https://login.microsoftonline.com/tid/v2.0';
    const cache = new IssuerKeyCache({ policy: loopback });
    const v1 = issuerRecord('https://sts.windows.net/tid/', { type: 'discovery', discovery_base: `${server.url}/` });
    await verifies(cache, v1, await signWith(key));
  });

  it('uses inline keys without any network access', async () => {
    const cache = new IssuerKeyCache({ policy: new OutboundPolicy([]) });
    const inline = issuerRecord('https://spiffe.example', { type: 'inline', keys: [{ ...key.publicJwk, use: 'jwt-svid' }] });
    await verifies(cache, inline, await signWith(key));
    await denied(cache.keyFor(inline, { kid: 'other', alg: 'ES384' }), 'kid_not_found');
    assert.deepEqual(server.requests, { discovery: 0, jwks: 0, redirectTarget: 0 });
  });

  it('refuses inline keys that fail validation', async () => {
    const cache = new IssuerKeyCache({ policy: loopback });
    const inline = issuerRecord('https://x.example', { type: 'inline', keys: [{ kty: 'RSA', kid: 'd1', n: 'AQAB', e: 'AQAB' }] });
    await denied(cache.keyFor(inline, { kid: 'd1', alg: 'RS256' }), 'kid_not_found');
  });

  it('refuses a URL the outbound policy does not allow', async () => {
    const cache = new IssuerKeyCache({ policy: new OutboundPolicy([]) });
    const err = await denied(
      cache.keyFor(issuerRecord(server.url, { type: 'explicit_url', url: server.jwksUrl }), { kid: 'd1', alg: 'ES384' }),
      'jwks_unavailable',
    );
    assert.match(err.message, /url must use https scheme/);
    assert.equal(server.connections, 0);
  });
});
