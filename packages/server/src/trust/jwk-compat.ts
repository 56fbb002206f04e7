import type { JWK } from 'jose';

/** Algorithms an assertion may use: asymmetric only (spec §5.4 step 4). */
export const ALLOWED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type AllowedAlg = (typeof ALLOWED_ALGS)[number];

export function isAllowedAlg(alg: unknown): alg is AllowedAlg {
  return typeof alg === 'string' && (ALLOWED_ALGS as readonly string[]).includes(alg);
}

/** The curve each ECDSA algorithm requires (RFC 7518 §3.4). */
export const EC_CURVE_FOR_ALG: Readonly<Record<'ES256' | 'ES384' | 'ES512', string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** `use` values that mean "verifies signatures": absent, `sig`, or SPIFFE bundles' `jwt-svid`. */
export function isSigningUse(use: unknown): boolean {
  return use === undefined || use === 'sig' || use === 'jwt-svid';
}

/**
 * Whether a published key may verify `alg`. Keys without `alg` (Entra publishes none) are
 * judged by type and curve; a key that names an `alg` must name this one; encryption-only and
 * private keys are never used.
 */
export function keyMatchesAlg(jwk: JWK, alg: string): boolean {
  if (!isAllowedAlg(alg)) return false;
  if (!isSigningUse(jwk.use)) return false;
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if ('d' in jwk || 'k' in jwk) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  return jwk.kty === 'EC' && jwk.crv === EC_CURVE_FOR_ALG[alg as keyof typeof EC_CURVE_FOR_ALG];
}
