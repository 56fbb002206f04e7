import { createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';
import { describeJson } from '../domain/printable.ts';
import { isAllowedAlg, isSigningUse, keyMatchesAlg } from './jwk-compat.ts';
import { JWKS_DEFAULTS } from './jwks-defaults.ts';
import { FetchError } from './safe-fetch.ts';

/** A public signing key that passed every check, reduced to the members verification needs. */
export interface ValidatedKey {
  kid: string;
  kty: 'RSA' | 'EC';
  alg: string | null;
  /** RSA modulus length or EC curve size, in bits. */
  size: number;
  jwk: JWK;
}

/** A key left out of the set, and why (shown by "verify issuer"). */
export interface RejectedKey {
  kid: string | null;
  reason: string;
}

export interface ValidatedKeySet {
  keys: ValidatedKey[];
  rejected: RejectedKey[];
}

export interface KeySetLimits {
  maxKeys?: number | undefined;
  minRsaBits?: number | undefined;
  maxKidLength?: number | undefined;
}

/** Members that only a private or symmetric key has: their presence poisons the whole document. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const BASE64URL = /^[A-Za-z0-9_-]{1,2048}$/;
const EC_BITS: Record<string, number> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };

/**
 * Checks a `{ "keys": [...] }` document. Individual unusable keys (no kid, unknown kty, weak
 * RSA, curve/alg mismatch, encryption keys, malformed numbers, duplicate kids) are dropped and
 * reported; a document that carries private key material, is not a key set, has too many
 * keys or has no usable key at all is refused outright.
 */
export function validateKeySet(document: unknown, where: string, limits: KeySetLimits = {}): ValidatedKeySet {
  const maxKeys = limits.maxKeys ?? JWKS_DEFAULTS.maxKeysPerSet;
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (typeof document !== 'object' || document === null || !Array.isArray(keys)) {
    throw new FetchError('invalid_document', `${where}: not a JWK set (no "keys" array)`);
  }
  if (keys.length > maxKeys) throw new FetchError('invalid_document', `${where}: ${keys.length} keys, more than the limit of ${maxKeys}`);
  if (keys.some((k) => typeof k === 'object' && k !== null && SECRET_MEMBERS.some((m) => m in k))) {
    throw new FetchError('invalid_document', `${where}: the key set contains private or symmetric key material`);
  }
  const result: ValidatedKeySet = { keys: [], rejected: [] };
  const seen = new Set<string>();
  for (const candidate of keys) {
    const verdict = checkKey(candidate, limits);
    const kid = typeof (candidate as JWK | null)?.kid === 'string' ? String((candidate as JWK).kid).slice(0, 64) : null;
    if (typeof verdict === 'string') {
      result.rejected.push({ kid, reason: verdict });
    } else if (seen.has(verdict.kid)) {
      result.rejected.push({ kid, reason: 'duplicate kid' });
    } else {
      seen.add(verdict.kid);
      result.keys.push(verdict);
    }
  }
  if (result.keys.length === 0) {
    const why = result.rejected
      .map((r) => r.reason)
      .slice(0, 3)
      .join('; ');
    throw new FetchError('invalid_document', `${where}: no usable public signing keys${why ? ` (${why})` : ''}`);
  }
  return result;
}

function checkKey(candidate: unknown, limits: KeySetLimits): ValidatedKey | string {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return 'not a JSON object';
  const jwk = candidate as JWK;
  const maxKid = limits.maxKidLength ?? JWKS_DEFAULTS.maxKidLength;
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0) return 'no kid';
  if (jwk.kid.length > maxKid) return `kid longer than ${maxKid} characters`;
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') return `unsupported kty ${describeJson(jwk.kty, 16)}`;
  if (!isSigningUse(jwk.use)) return `use ${describeJson(jwk.use, 16)} is not for signatures`;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return 'key_ops does not include verify';
  if (jwk.alg !== undefined && !isAllowedAlg(jwk.alg)) return `alg ${describeJson(jwk.alg, 16)} is not allowed`;
  if (jwk.alg !== undefined && !keyMatchesAlg(jwk, jwk.alg))
    return `alg ${jwk.alg} does not fit a ${jwk.kty} key${jwk.crv !== undefined ? ` on ${describeJson(jwk.crv, 16)}` : ''}`;
  const publicJwk: JWK = jwk.kty === 'RSA' ? { kty: 'RSA', kid: jwk.kid, n: jwk.n, e: jwk.e } : { kty: 'EC', kid: jwk.kid, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const curveBits = jwk.kty === 'EC' && typeof jwk.crv === 'string' && Object.hasOwn(EC_BITS, jwk.crv) ? EC_BITS[jwk.crv] : undefined;
  if (jwk.kty === 'EC' && curveBits === undefined) return `unsupported curve ${describeJson(jwk.crv, 16)}`;
  const members = jwk.kty === 'RSA' ? [jwk.n, jwk.e] : [jwk.x, jwk.y];
  if (!members.every((m) => typeof m === 'string' && BASE64URL.test(m))) return 'malformed key material';
  let size: number;
  try {
    const details = createPublicKey({ key: publicJwk as Record<string, string>, format: 'jwk' }).asymmetricKeyDetails;
    size = jwk.kty === 'RSA' ? (details?.modulusLength ?? 0) : curveBits!;
  } catch {
    return 'malformed key material';
  }
  const minRsa = limits.minRsaBits ?? JWKS_DEFAULTS.minRsaBits;
  if (jwk.kty === 'RSA' && size < minRsa) return `RSA key of ${size} bits, fewer than ${minRsa}`;
  if (jwk.use !== undefined) publicJwk.use = jwk.use;
  if (jwk.alg !== undefined) publicJwk.alg = jwk.alg;
  return { kid: jwk.kid, kty: jwk.kty === 'RSA' ? 'RSA' : 'EC', alg: jwk.alg ?? null, size, jwk: publicJwk };
}
