import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';
import { verifyIssuerKeys } from '../../src/trust/verify-issuer.ts';
import { JwksServer, newSigningKey } from './jwks-fixture.ts';

const loopback = new OutboundPolicy(['127.0.0.1/32']);

describe('verifyIssuerKeys', () => {
  let server: JwksServer;
  before(async () => {
    server = await JwksServer.start();
  });
  after(() => server.close());

  it('lists usable keys and explains the rejected ones', async () => {
    const rsa = await newSigningKey('RS256', 'r1');
    const ec = await newSigningKey('ES384', 'e1');
    const weak = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), kid: 'weak' };
    server.published = [{ ...rsa.publicJwk, alg: 'RS256' }, ec.publicJwk, weak];
    const result = await verifyIssuerKeys({ issuer_url: server.url, jwks: { type: 'discovery' } }, { policy: loopback });
    assert.deepEqual(result, {
      ok: true,
      keys: [
        { kid: 'r1', kty: 'RSA', alg: 'RS256', size: 2048 },
        { kid: 'e1', kty: 'EC', alg: null, size: 384 },
      ],
      rejected: [{ kid: 'weak', reason: 'RSA key of 1024 bits, fewer than 2048' }],
    });
  });

  it('reports a failed fetch with its code instead of throwing', async () => {
    server.mode = 'status-500';
    const result = await verifyIssuerKeys({ issuer_url: server.url, jwks: { type: 'explicit_url', url: server.jwksUrl } }, { policy: loopback });
    server.mode = 'ok';
    assert.equal(result.ok, false);
    assert.equal(result.error?.code, 'http_status');
    assert.deepEqual(result.keys, []);
  });

  it('reports a refused URL', async () => {
    const result = await verifyIssuerKeys(
      { issuer_url: 'https://x.example', jwks: { type: 'explicit_url', url: 'https://169.254.169.254/keys' } },
      { policy: loopback },
    );
    assert.equal(result.error?.code, 'url_refused');
  });
});
