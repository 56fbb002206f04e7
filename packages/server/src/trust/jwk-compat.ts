import type { JWK } from 'jose';

/** Algorithms an assertion may use: asymmetric only (spec §5.4 step 4). */
export const ALLOWED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;
export type AllowedAlg = (typeof ALLOWED_ALGS)[number];

export function isAllowedAlg(alg: unknown): alg is AllowedAlg {
  return typeof alg === 'string' && (ALLOWED_ALGS as readonly string[]).includes(alg);
}

const EC_CURVE: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/**
 * Whether a published key may verify `alg`. Keys without `alg` (Entra publishes none) are
 * judged by type and curve; a key that names an `alg` must name this one; `use: enc` keys and
 * private keys are never used.
 */
export function keyMatchesAlg(jwk: JWK, alg: string): boolean {
  if (!isAllowedAlg(alg)) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if ('d' in jwk) return false;
  if (alg.startsWith('RS') || alg.startsWith('PS')) return jwk.kty === 'RSA';
  return jwk.kty === 'EC' && jwk.crv === EC_CURVE[alg];
}

/** Public keys only, with a `kid`, of a type we can use: the filter applied to every fetched set. */
export function usableKeys(keys: unknown[]): JWK[] {
  return keys.filter(
    (k): k is JWK =>
      typeof k === 'object' &&
      k !== null &&
      typeof (k as JWK).kid === 'string' &&
      ((k as JWK).kid as string).length > 0 &&
      ((k as JWK).kty === 'RSA' || (k as JWK).kty === 'EC') &&
      !('d' in k),
  );
}
