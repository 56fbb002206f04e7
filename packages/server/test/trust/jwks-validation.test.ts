import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import { validateKeySet } from '../../src/trust/jwks-validation.ts';
import { FetchError } from '../../src/trust/safe-fetch.ts';
import { newSigningKey } from './jwks-fixture.ts';

async function rsaJwk(bits: number, extra: Record<string, unknown> = {}) {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { ...publicKey.export({ format: 'jwk' }), ...extra };
}

function refused(document: unknown): FetchError {
  try {
    validateKeySet(document, 'test');
  } catch (err) {
    assert.ok(err instanceof FetchError);
    assert.equal(err.code, 'invalid_document');
    return err;
  }
  assert.fail('expected the document to be refused');
}

describe('validateKeySet', () => {
  it('members that are objects with a toString member are reported, never String()-ed', async () => {
    const good = (await newSigningKey('ES256', 'good')).publicJwk;
    const hostile = { toString: null, valueOf: 0 };
    const { keys, rejected } = validateKeySet(
      {
        keys: [
          { ...good, kid: 'kty', kty: hostile },
          { ...good, kid: 'use', use: hostile },
          { ...good, kid: 'alg', alg: hostile },
          { ...good, kid: 'crv', crv: hostile },
          { ...good, kid: 'crv-proto', crv: 'toString' },
          { ...good, kid: 'alg-misfit', alg: 'RS256', crv: hostile },
          good,
        ],
      },
      'test',
    );
    assert.deepEqual(
      keys.map((k) => k.kid),
      ['good'],
    );
    assert.deepEqual(
      rejected.map((r) => [r.kid, r.reason]),
      [
        ['kty', 'unsupported kty {"toString":nul…'],
        ['use', 'use {"toString":nul… is not for signatures'],
        ['alg', 'alg {"toString":nul… is not allowed'],
        ['crv', 'unsupported curve {"toString":nul…'],
        ['crv-proto', 'unsupported curve "toString"'],
        ['alg-misfit', 'alg RS256 does not fit a EC key on {"toString":nul…'],
      ],
    );
  });

  it('accepts Entra-style RSA keys without alg, with x5t/x5c/issuer members', async () => {
    const entra = await rsaJwk(2048, {
      kid: 'entra-kid',
      use: 'sig',
      x5t: 'entra-kid',
      x5c: ['MIIC...'],
      issuer: 'https://login.microsoftonline.com/tid/v2.0',
    });
    const { keys, rejected } = validateKeySet({ keys: [entra] }, 'test');
    assert.equal(rejected.length, 0);
    assert.deepEqual(
      keys.map(({ kid, kty, alg, size }) => ({ kid, kty, alg, size })),
      [{ kid: 'entra-kid', kty: 'RSA', alg: null, size: 2048 }],
    );
    assert.equal(keys[0]!.jwk.x5c, undefined, 'only the members verification needs are kept');
  });

  it('accepts Kubernetes keys with alg and SPIFFE jwt-svid keys', async () => {
    const k8s = (await newSigningKey('RS256', 'k8s')).publicJwk;
    const spiffe = { ...(await newSigningKey('ES256', 'svid')).publicJwk, use: 'jwt-svid' };
    const { keys } = validateKeySet({ keys: [{ ...k8s, alg: 'RS256' }, spiffe] }, 'test');
    assert.deepEqual(
      keys.map((k) => [k.kid, k.alg, k.size]),
      [
        ['k8s', 'RS256', 2048],
        ['svid', null, 256],
      ],
    );
  });

  it('drops an RSA key under 2048 bits and reports it', async () => {
    const good = (await newSigningKey('RS256', 'good')).publicJwk;
    const weak = await rsaJwk(1024, { kid: 'weak' });
    const { keys, rejected } = validateKeySet({ keys: [weak, good] }, 'test');
    assert.deepEqual(
      keys.map((k) => k.kid),
      ['good'],
    );
    assert.deepEqual(rejected, [{ kid: 'weak', reason: 'RSA key of 1024 bits, fewer than 2048' }]);
  });

  it('refuses a set whose only key is weak', async () => {
    assert.match(refused({ keys: [await rsaJwk(1024, { kid: 'weak' })] }).message, /fewer than 2048/);
  });

  it('drops an EC key whose alg does not fit its curve', async () => {
    const p256 = (await newSigningKey('ES256', 'p256')).publicJwk;
    const { keys, rejected } = validateKeySet(
      {
        keys: [
          { ...p256, alg: 'ES384' },
          { ...p256, kid: 'ok' },
        ],
      },
      'test',
    );
    assert.deepEqual(
      keys.map((k) => k.kid),
      ['ok'],
    );
    assert.match(rejected[0]!.reason, /ES384 does not fit a EC key on "P-256"/);
  });

  it('drops an RSA key labelled with an EC alg, and keys with a disallowed alg', async () => {
    const rsa = (await newSigningKey('RS256', 'r')).publicJwk;
    const { rejected } = validateKeySet(
      { keys: [{ ...rsa, kid: 'a', alg: 'ES256' }, { ...rsa, kid: 'b', alg: 'HS256' }, { ...rsa, kid: 'c', alg: 'none' }, rsa] },
      'test',
    );
    assert.deepEqual(
      rejected.map((r) => r.kid),
      ['a', 'b', 'c'],
    );
  });

  it('drops keys without kid, with unknown kty, for encryption, or with unusable key_ops', async () => {
    const rsa = (await newSigningKey('RS256', 'r')).publicJwk;
    const { publicKey } = generateKeyPairSync('ed25519');
    const okp = { ...publicKey.export({ format: 'jwk' }), kid: 'okp' };
    const { kid: _kid, ...noKid } = rsa;
    const { keys, rejected } = validateKeySet(
      {
        keys: [
          noKid,
          { ...rsa, kid: '' },
          okp,
          { ...rsa, kid: 'enc', use: 'enc' },
          { ...rsa, kid: 'ops', key_ops: ['encrypt'] },
          { ...rsa, kid: 'x'.repeat(300) },
          'string',
          rsa,
        ],
      },
      'test',
    );
    assert.deepEqual(
      keys.map((k) => k.kid),
      ['r'],
    );
    assert.deepEqual(
      rejected.map((r) => r.reason),
      [
        'no kid',
        'no kid',
        'unsupported kty "OKP"',
        'use "enc" is not for signatures',
        'key_ops does not include verify',
        'kid longer than 256 characters',
        'not a JSON object',
      ],
    );
  });

  it('drops malformed key material and unknown curves', async () => {
    const ec = (await newSigningKey('ES256', 'e')).publicJwk;
    const { rejected } = validateKeySet(
      { keys: [{ ...ec, kid: 'bad-x', x: 'AAAA' }, { ...ec, kid: 'k1', crv: 'secp256k1' }, { kty: 'RSA', kid: 'bad-n', n: '!!', e: 'AQAB' }, ec] },
      'test',
    );
    assert.deepEqual(
      rejected.map((r) => r.reason),
      ['malformed key material', 'unsupported curve "secp256k1"', 'malformed key material'],
    );
  });

  it('keeps the first of two keys with the same kid', async () => {
    const a = (await newSigningKey('RS256', 'same')).publicJwk;
    const b = (await newSigningKey('RS256', 'same')).publicJwk;
    const { keys, rejected } = validateKeySet({ keys: [a, b] }, 'test');
    assert.equal(keys[0]!.jwk.n, a.n);
    assert.deepEqual(rejected, [{ kid: 'same', reason: 'duplicate kid' }]);
  });

  it('refuses a set that carries private key material', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const good = (await newSigningKey('RS256', 'good')).publicJwk;
    const err = refused({ keys: [good, { ...(await exportJWK(privateKey)), kid: 'leak' }] });
    assert.match(err.message, /private or symmetric key material/);
    assert.doesNotMatch(err.message, /"d"/);
    refused({ keys: [good, { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0' }] });
  });

  it('refuses documents that are not key sets', () => {
    for (const doc of [null, 'keys', 42, [], {}, { keys: {} }, { keys: 'x' }, { keys: [] }]) refused(doc);
  });

  it('refuses more than 100 keys', async () => {
    const key = (await newSigningKey('ES256', 'e')).publicJwk;
    assert.match(refused({ keys: Array.from({ length: 101 }, (_, i) => ({ ...key, kid: `k${i}` })) }).message, /more than the limit of 100/);
  });
});
