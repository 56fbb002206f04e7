import { constants, KeyObject, verify } from 'node:crypto';
import { EC_CURVE_FOR_ALG, type AllowedAlg } from './jwk-compat.ts';

interface AlgParameters {
  hash: 'sha256' | 'sha384' | 'sha512';
  family: 'rsa' | 'rsa-pss' | 'ec';
  /** ECDSA: JWS carries r ‖ s, each the curve's size (RFC 7518 §3.4). */
  signatureBytes?: number;
}

const ALGS: Readonly<Record<AllowedAlg, AlgParameters>> = {
  RS256: { hash: 'sha256', family: 'rsa' },
  RS384: { hash: 'sha384', family: 'rsa' },
  RS512: { hash: 'sha512', family: 'rsa' },
  PS256: { hash: 'sha256', family: 'rsa-pss' },
  PS384: { hash: 'sha384', family: 'rsa-pss' },
  PS512: { hash: 'sha512', family: 'rsa-pss' },
  ES256: { hash: 'sha256', family: 'ec', signatureBytes: 64 },
  ES384: { hash: 'sha384', family: 'ec', signatureBytes: 96 },
  ES512: { hash: 'sha512', family: 'ec', signatureBytes: 132 },
};

/** node:crypto's names for the JWA curves. */
const NODE_CURVE: Readonly<Record<string, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

/** A public key that may verify exactly one algorithm: only `verifyJwsSignature` can use it. */
export interface AlgBoundKey {
  readonly alg: AllowedAlg;
  readonly key: KeyObject;
}

/**
 * Binds an imported public key to `alg` after checking that it is the key type (and curve) the
 * algorithm needs, so that no signature can be checked under another algorithm's rules.
 */
export function bindKey(key: KeyObject, alg: AllowedAlg): AlgBoundKey {
  const { family } = ALGS[alg];
  const type = key.asymmetricKeyType;
  const fits =
    key.type === 'public' &&
    (family === 'ec'
      ? type === 'ec' && key.asymmetricKeyDetails?.namedCurve === NODE_CURVE[EC_CURVE_FOR_ALG[alg as keyof typeof EC_CURVE_FOR_ALG]]
      : type === 'rsa' || (family === 'rsa-pss' && type === 'rsa-pss'));
  if (!fits) throw new TypeError(`a ${type ?? key.type} key cannot verify ${alg}`);
  return { alg, key };
}

/**
 * Checks a JWS signature over `signingInput` (the first two segments, as sent). The work runs on
 * libuv's thread pool; `crypto.subtle.verify`, which jose uses, does the same on the pool but
 * spent 50–100 µs of the event loop per ECDSA call setting the job up (BENCHMARKS.md).
 */
export function verifyJwsSignature(bound: AlgBoundKey, signingInput: string, signature: Uint8Array): Promise<boolean> {
  const { hash, family, signatureBytes } = ALGS[bound.alg];
  if (signatureBytes !== undefined && signature.length !== signatureBytes) return Promise.resolve(false);
  const key =
    family === 'ec'
      ? { key: bound.key, dsaEncoding: 'ieee-p1363' as const }
      : family === 'rsa-pss'
        ? // The salt is as long as the hash (RFC 7518 §3.5).
          { key: bound.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(hash.slice(3)) / 8 }
        : { key: bound.key, padding: constants.RSA_PKCS1_PADDING };
  return new Promise((resolve) => {
    // A signature the key cannot even parse is simply not valid.
    verify(hash, Buffer.from(signingInput, 'latin1'), key, signature, (err, valid) => resolve(err === null && valid));
  });
}
