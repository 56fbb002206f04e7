/**
 * Validates a federated client assertion the way Entra does: match the (still unverified)
 * `iss`/`sub`/`aud` against the app's federated credentials, then fetch the issuer's OIDC
 * discovery + JWKS and verify the RS256 signature and time window.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { fetchJson, type FetchLike } from '../shared/bounded-fetch.ts';
import { AadstsError } from './aadsts-error.ts';
import { TOKEN_EXCHANGE_AUDIENCE, type EntraApplication } from './directory.ts';

export interface AssertionValidationContext {
  fetch: FetchLike;
  now: Date;
  clockToleranceSeconds: number;
}

/** Entra keeps only the first 100 keys of an external issuer's JWKS. */
const MAX_ISSUER_KEYS = 100;

function audiences(payload: JWTPayload): string[] {
  if (typeof payload.aud === 'string') return [payload.aud];
  return Array.isArray(payload.aud) ? payload.aud.filter((value): value is string => typeof value === 'string') : [];
}

function decodeUnverified(assertion: string): { iss: string; sub: string; aud: string[] } {
  let payload: JWTPayload;
  try {
    decodeProtectedHeader(assertion);
    payload = decodeJwt(assertion);
  } catch {
    throw new AadstsError(50027, 'JWT token is invalid or malformed.');
  }
  if (typeof payload.iss !== 'string' || typeof payload.sub !== 'string' || audiences(payload).length === 0) {
    throw new AadstsError(50027, 'JWT token is missing the iss, sub or aud claim.');
  }
  return { iss: payload.iss, sub: payload.sub, aud: audiences(payload) };
}

function matchFederatedCredential(app: EntraApplication, claims: { iss: string; sub: string; aud: string[] }): void {
  const credentials = app.federatedCredentials ?? [];
  const byIssuer = credentials.filter((credential) => credential.issuer === claims.iss);
  if (byIssuer.length === 0) {
    throw new AadstsError(700211, `No matching federated identity record found for presented assertion issuer '${claims.iss}'.`);
  }
  const bySubject = byIssuer.filter((credential) => credential.subject === claims.sub);
  if (bySubject.length === 0) {
    throw new AadstsError(700213, `No matching federated identity record found for presented assertion subject '${claims.sub}'.`);
  }
  const byAudience = bySubject.filter((credential) => claims.aud.includes(credential.audience ?? TOKEN_EXCHANGE_AUDIENCE));
  if (byAudience.length === 0) {
    throw new AadstsError(700212, `No matching federated identity record found for presented assertion audience '${claims.aud.join(', ')}'.`);
  }
}

function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

async function fetchIssuerKeys(issuer: string, fetch: FetchLike): Promise<JSONWebKeySet> {
  const failure = new AadstsError(90061, `Request to External OIDC endpoint failed for issuer '${issuer}'.`);
  try {
    const discovery = await fetchJson(discoveryUrl(issuer), { fetch });
    if (typeof discovery !== 'object' || discovery === null) throw failure;
    const { issuer: advertised, jwks_uri: jwksUri } = discovery as Record<string, unknown>;
    if (advertised !== issuer || typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri)) throw failure;
    const jwks = await fetchJson(jwksUri, { fetch });
    const keys = (jwks as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw failure;
    return { keys: keys.slice(0, MAX_ISSUER_KEYS) } as JSONWebKeySet;
  } catch (error) {
    if (error instanceof AadstsError) throw error;
    throw failure;
  }
}

/** Returns the verified payload, or throws the AADSTS error Entra would answer with. */
export async function validateFederatedAssertion(assertion: string, app: EntraApplication, context: AssertionValidationContext): Promise<JWTPayload> {
  const claims = decodeUnverified(assertion);
  matchFederatedCredential(app, claims);
  const keys = await fetchIssuerKeys(claims.iss, context.fetch);
  try {
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(keys), {
      algorithms: ['RS256'],
      currentDate: context.now,
      clockTolerance: context.clockToleranceSeconds,
      requiredClaims: ['exp'],
    });
    return payload;
  } catch (error) {
    if (error instanceof errors.JWTExpired || (error instanceof errors.JWTClaimValidationFailed && ['nbf', 'iat'].includes(error.claim))) {
      throw new AadstsError(700024, `Client assertion is not within its valid time range. Current time: ${context.now.toISOString()}.`);
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      throw new AadstsError(50027, `JWT token failed validation of the '${error.claim}' claim.`);
    }
    throw new AadstsError(700027, 'Client assertion failed signature validation.');
  }
}
