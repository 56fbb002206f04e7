import { describeJson } from '../domain/printable.ts';
import type { Issuer } from '../domain/types.ts';
import { isAllowedAlg } from '../trust/jwk-compat.ts';
import { verifyJwsSignature, type AlgBoundKey } from '../trust/jws-signature.ts';
import { TrustError, type KeyResolver } from '../trust/key-resolver.ts';
import { ExchangeDenied } from './deny-reasons.ts';
import { parseJsonWithoutDuplicates } from './strict-json.ts';

export const CLOCK_LEEWAY_SECONDS = 30;
const MAX_KID_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface VerifiedAssertion {
  claims: Record<string, unknown>;
  subject: string;
  exp: number;
  iat: number;
  jti: string | null;
}

/**
 * Steps 4–8 of the pipeline. Before the signature only `alg`, `kid` and `iss` are read, and only
 * to choose the key; every other claim is read from the verified payload bytes.
 */
export async function verifyAssertion(assertion: string, issuer: Issuer, keys: KeyResolver, nowSeconds: number): Promise<VerifiedAssertion> {
  const parts = assertion.split('.');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  if (parts.length !== 3 || !BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart)) {
    throw new ExchangeDenied('assertion_malformed', parts.length === 5 ? 'JWE (encrypted) assertions are not accepted' : 'not a compact JWS');
  }
  const header = decodeSegment(headerPart, 'header');
  const { alg, kid } = header;
  if (!isAllowedAlg(alg)) throw new ExchangeDenied('alg_not_allowed', `alg ${describeJson(alg, 32)} is not allowed`);
  if (header.crit !== undefined) throw new ExchangeDenied('alg_not_allowed', 'the crit header is not supported');
  if (typeof header.cty === 'string' && header.cty.toUpperCase() === 'JWT') throw new ExchangeDenied('alg_not_allowed', 'nested JWTs are not accepted');
  if (typeof kid !== 'string' || kid.length === 0) throw new ExchangeDenied('kid_missing');
  if (!BASE64URL.test(signaturePart)) throw new ExchangeDenied('assertion_malformed', 'the signature is missing or not base64url');

  // Parsed once; until the signature is checked, only `iss` is read from it.
  const payload = decodeSegment(payloadPart, 'payload');
  if (payload.iss !== issuer.issuer_url) {
    throw new ExchangeDenied('issuer_mismatch', `iss ${describeJson(payload.iss, 200)} is not ${issuer.issuer_url}`);
  }

  if (kid.length > MAX_KID_LENGTH) throw new ExchangeDenied('kid_not_found', 'kid is too long');
  let key: AlgBoundKey;
  try {
    key = await keys.keyFor(issuer, { kid, alg });
  } catch (err) {
    if (err instanceof TrustError) throw new ExchangeDenied(err.reason, err.message);
    throw err;
  }

  if (!(await verifyJwsSignature(key, `${headerPart}.${payloadPart}`, Buffer.from(signaturePart, 'base64url')))) {
    throw new ExchangeDenied('signature_invalid', 'signature verification failed');
  }
  return checkClaims(payload, issuer, nowSeconds);
}

function checkClaims(claims: Record<string, unknown>, issuer: Issuer, now: number): VerifiedAssertion {
  const { sub, exp, iat, nbf, jti } = claims;
  if (typeof sub !== 'string' || sub.length === 0) throw new ExchangeDenied('sub_missing');
  // sub and jti are stored as text; NUL cannot be stored by PostgreSQL and has no business there.
  if (sub.includes('\u0000') || (typeof jti === 'string' && jti.includes('\u0000'))) {
    throw new ExchangeDenied('assertion_malformed', 'sub or jti contains a NUL character');
  }
  if (!isTime(exp)) throw new ExchangeDenied('exp_missing');
  if (exp + CLOCK_LEEWAY_SECONDS <= now) throw new ExchangeDenied('expired', `expired at ${exp}, now ${now}`);
  if (!isTime(iat)) throw new ExchangeDenied('iat_missing');
  if (iat - CLOCK_LEEWAY_SECONDS > now) throw new ExchangeDenied('iat_in_future', `iat ${iat}, now ${now}`);
  if (nbf !== undefined && (!isTime(nbf) || nbf - CLOCK_LEEWAY_SECONDS > now)) throw new ExchangeDenied('not_yet_valid');
  if (exp < iat || exp - iat > issuer.max_jwt_lifetime_seconds) {
    throw new ExchangeDenied('lifetime_exceeded', `exp − iat = ${exp - iat} s, issuer allows ${issuer.max_jwt_lifetime_seconds} s`);
  }
  return { claims, subject: sub, exp, iat, jti: typeof jti === 'string' && jti.length > 0 ? jti : null };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < 1e11;
}

function decodeSegment(segment: string, what: 'header' | 'payload'): Record<string, unknown> {
  return parseJsonObject(Buffer.from(segment, 'base64url').toString('utf8'), what);
}

function parseJsonObject(text: string, what: 'header' | 'payload'): Record<string, unknown> {
  const value = parseJsonWithoutDuplicates(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ExchangeDenied('assertion_malformed', `JWT ${what} is not a JSON object without duplicate member names`);
  }
  return value as Record<string, unknown>;
}
