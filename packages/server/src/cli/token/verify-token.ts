import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { describeJson } from '../../domain/printable.ts';
import { sanitize } from '../errors.ts';

/**
 * Verifies a JWT the way an exchange would, against the issuer's published keys, and reports the
 * first check that failed by name. Fetches are bounded (timeout, size) and use the given fetch.
 */

export const VERIFY_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
const TIMEOUT_MS = 10_000;
const MAX_DOCUMENT_BYTES = 512 * 1024;
const CLOCK_TOLERANCE_SECONDS = 30;

export type VerifyResult = { ok: true; claims: JWTPayload; jwksUri: string; alg: string; kid: string | null } | { ok: false; check: string; message: string };

export interface VerifyOptions {
  issuer: string;
  audience?: string;
  /** Skip discovery and use this JWKS URL. */
  jwksUri?: string;
  now: Date;
  fetch: typeof fetch;
}

export async function verifyToken(token: string, options: VerifyOptions): Promise<VerifyResult> {
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, check: 'format', message: 'not a JWT (the header cannot be decoded)' };
  }
  if (typeof header.alg !== 'string' || !VERIFY_ALGORITHMS.includes(header.alg)) {
    return { ok: false, check: 'alg', message: `algorithm ${describeJson(header.alg, 20)} is not allowed (asymmetric RS/PS/ES only)` };
  }
  let jwksUri = options.jwksUri;
  if (jwksUri === undefined) {
    const discovered = await discoverJwksUri(options.issuer, options.fetch);
    if ('error' in discovered) return { ok: false, check: 'discovery', message: discovered.error };
    jwksUri = discovered.jwksUri;
  }
  const keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: TIMEOUT_MS, [customFetch]: options.fetch });
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: options.issuer,
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
      algorithms: VERIFY_ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: options.now,
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    return { ok: true, claims: payload, jwksUri, alg: header.alg, kid: typeof header.kid === 'string' ? header.kid : null };
  } catch (err) {
    return { ok: false, ...describeFailure(err, header.kid) };
  }
}

async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch): Promise<{ jwksUri: string } | { error: string }> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error', headers: { accept: 'application/json' } });
    if (!response.ok) return { error: `GET ${url} answered ${response.status}` };
    const text = await response.text();
    if (text.length > MAX_DOCUMENT_BYTES) return { error: `discovery document at ${url} is too large` };
    body = JSON.parse(text);
  } catch (err) {
    return { error: `cannot fetch ${url}: ${sanitize((err as Error).message, 200)}` };
  }
  const document = body as { issuer?: unknown; jwks_uri?: unknown };
  if (document.issuer !== issuer) return { error: `discovery document's issuer ${describeJson(document.issuer ?? null, 200)} is not exactly ${issuer}` };
  if (typeof document.jwks_uri !== 'string') return { error: 'discovery document has no jwks_uri' };
  return { jwksUri: document.jwks_uri };
}

function describeFailure(err: unknown, kid: unknown): { check: string; message: string } {
  const kidText = typeof kid === 'string' ? sanitize(kid, 80) : '(none)';
  if (err instanceof errors.JWTExpired) return { check: 'exp', message: 'the token has expired' };
  if (err instanceof errors.JWTClaimValidationFailed) {
    return { check: err.claim, message: `claim "${err.claim}" ${err.reason === 'missing' ? 'is missing' : `check failed: ${sanitize(err.message, 200)}`}` };
  }
  if (err instanceof errors.JWKSNoMatchingKey) return { check: 'kid', message: `no key with kid ${kidText} in the issuer's JWKS` };
  if (err instanceof errors.JWKSMultipleMatchingKeys) return { check: 'kid', message: `several keys match kid ${kidText}` };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { check: 'signature', message: 'the signature does not verify with the published key' };
  if (err instanceof errors.JWKSTimeout) return { check: 'jwks', message: 'timed out fetching the JWKS' };
  if (err instanceof errors.JWKSInvalid) return { check: 'jwks', message: 'the JWKS is malformed' };
  if (err instanceof errors.JOSEAlgNotAllowed) return { check: 'alg', message: 'algorithm not allowed' };
  if (err instanceof errors.JOSEError) return { check: err.code, message: sanitize(err.message, 200) };
  return { check: 'jwks', message: `cannot fetch the JWKS: ${sanitize((err as Error).message, 200)}` };
}
