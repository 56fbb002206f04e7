import assert from 'node:assert/strict';
import { constants, createPrivateKey, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { CompactSign, compactVerify, importJWK } from 'jose';
import { ALLOWED_ALGS, type AllowedAlg } from '../../src/trust/jwk-compat.ts';
import { bindKey, verifyJwsSignature } from '../../src/trust/jws-signature.ts';

function keyPairFor(alg: AllowedAlg, curve?: string): { publicKey: KeyObject; privateKey: KeyObject } {
  if (alg.startsWith('ES')) return generateKeyPairSync('ec', { namedCurve: curve ?? { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as 'ES256'] });
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

async function signed(alg: AllowedAlg, privateKey: KeyObject, payload = { sub: 'workload', n: Math.random() }): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg, kid: 'k' }).sign(privateKey);
}

function split(token: string): { input: string; signature: Buffer } {
  const [header, payload, signature] = token.split('.');
  return { input: `${header}.${payload}`, signature: Buffer.from(signature!, 'base64url') };
}

/** What jose (WebCrypto) says about the same token and key: the reference this module replaces on the hot path. */
async function joseSays(token: string, alg: AllowedAlg, publicKey: KeyObject): Promise<boolean> {
  const key = await importJWK(publicKey.export({ format: 'jwk' }), alg);
  return compactVerify(token, key, { algorithms: [alg] }).then(
    () => true,
    () => false,
  );
}

describe('verifyJwsSignature agrees with jose', () => {
  for (const alg of ALLOWED_ALGS) {
    test(alg, async () => {
      const { publicKey, privateKey } = keyPairFor(alg);
      const bound = bindKey(publicKey, alg);
      const token = await signed(alg, privateKey);
      const { input, signature } = split(token);
      const other = split(await signed(alg, privateKey, { sub: 'someone-else', n: 1 }));
      const cases: Array<[string, string, Buffer]> = [
        ['valid', input, signature],
        ['payload changed', input.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), signature],
        ["another token's signature", input, other.signature],
        ['one bit of the signature flipped', input, Buffer.from(signature.map((b, i) => (i === 5 ? b ^ 1 : b)))],
        ['signature truncated', input, signature.subarray(0, signature.length - 1)],
        ['signature extended', input, Buffer.concat([signature, Buffer.from([0])])],
        ['empty signature', input, Buffer.alloc(0)],
      ];
      for (const [what, signingInput, sig] of cases) {
        const ours = await verifyJwsSignature(bound, signingInput, sig);
        const tokenOfCase = `${signingInput}.${sig.toString('base64url')}`;
        assert.equal(ours, await joseSays(tokenOfCase, alg, publicKey), `${alg}, ${what}: same verdict as jose`);
        assert.equal(ours, what === 'valid', `${alg}, ${what}`);
      }
    });
  }

  test('PS256 needs a salt as long as the hash', async () => {
    const { publicKey, privateKey } = keyPairFor('PS256');
    const input = `${Buffer.from('{"alg":"PS256"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}`;
    const withSalt = (saltLength: number) => sign('sha256', Buffer.from(input), { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
    assert.equal(await verifyJwsSignature(bindKey(publicKey, 'PS256'), input, withSalt(32)), true);
    assert.equal(await verifyJwsSignature(bindKey(publicKey, 'PS256'), input, withSalt(0)), false);
    assert.equal(await joseSays(`${input}.${withSalt(0).toString('base64url')}`, 'PS256', publicKey), false);
  });

  test('an RS256 signature does not pass as PS256, nor the reverse', async () => {
    const { publicKey, privateKey } = keyPairFor('RS256');
    const rs = split(await signed('RS256', privateKey));
    const ps = split(await signed('PS256', privateKey));
    assert.equal(await verifyJwsSignature(bindKey(publicKey, 'PS256'), rs.input, rs.signature), false);
    assert.equal(await verifyJwsSignature(bindKey(publicKey, 'RS256'), ps.input, ps.signature), false);
  });
});

describe('bindKey: a key verifies only the algorithm its type and curve allow', () => {
  const rsa = keyPairFor('RS256');
  const p256 = keyPairFor('ES256');
  const p384 = keyPairFor('ES384');
  const ed = generateKeyPairSync('ed25519');

  test('accepts the right pairs', () => {
    for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const) assert.equal(bindKey(rsa.publicKey, alg).alg, alg);
    assert.equal(bindKey(p256.publicKey, 'ES256').alg, 'ES256');
    assert.equal(bindKey(p384.publicKey, 'ES384').alg, 'ES384');
  });

  test('refuses the wrong ones', () => {
    const refused: Array<[KeyObject, AllowedAlg]> = [
      [rsa.publicKey, 'ES256'],
      [p256.publicKey, 'RS256'],
      [p256.publicKey, 'PS256'],
      [p256.publicKey, 'ES384'],
      [p384.publicKey, 'ES256'],
      [ed.publicKey, 'ES256'],
      [ed.publicKey, 'RS256'],
      // A private key is never a verification key.
      [createPrivateKey(p256.privateKey.export({ format: 'pem', type: 'pkcs8' })), 'ES256'],
    ];
    for (const [key, alg] of refused) assert.throws(() => bindKey(key, alg), TypeError, `${key.asymmetricKeyType} ${key.type} for ${alg}`);
  });
});
