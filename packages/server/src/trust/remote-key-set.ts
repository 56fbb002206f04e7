import type { JWK } from 'jose';
import type { Issuer } from '../domain/types.ts';
import { usableKeys } from './jwk-compat.ts';
import type { OutboundPolicy } from './outbound-policy.ts';
import { FetchError, fetchJson } from './safe-fetch.ts';

const MAX_KEYS = 100;

/**
 * Fetches an issuer's current public keys. Discovery (spec §7 decision): when the document is
 * read from `issuer_url` itself its `issuer` must equal `issuer_url`; with `discovery_base` only
 * its `jwks_uri` is used (Entra's v1/v2 issuers share keys).
 */
export async function loadRemoteKeySet(issuer: Issuer, opts: { policy: OutboundPolicy; timeoutMs?: number | undefined }): Promise<JWK[]> {
  const { jwks } = issuer;
  if (jwks.type === 'inline') return usableKeys(jwks.keys);
  const fetchOpts = { policy: opts.policy, caCertPem: jwks.ca_cert_pem ?? null, ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) };
  let jwksUri: string;
  if (jwks.type === 'explicit_url') {
    jwksUri = jwks.url;
  } else {
    const base = (jwks.discovery_base ?? issuer.issuer_url).replace(/\/+$/, '');
    const doc = await fetchJson(`${base}/.well-known/openid-configuration`, fetchOpts);
    if (typeof doc !== 'object' || doc === null) throw new FetchError('discovery document is not a JSON object');
    const { issuer: named, jwks_uri: uri } = doc as { issuer?: unknown; jwks_uri?: unknown };
    if (!jwks.discovery_base && named !== issuer.issuer_url) {
      throw new FetchError(`discovery document names issuer ${JSON.stringify(String(named).slice(0, 200))}, expected ${issuer.issuer_url}`);
    }
    if (typeof uri !== 'string' || uri.length === 0) throw new FetchError('discovery document has no jwks_uri');
    jwksUri = uri;
  }
  const set = await fetchJson(jwksUri, fetchOpts);
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new FetchError('JWKS document has no "keys" array');
  const usable = usableKeys(keys.slice(0, MAX_KEYS));
  if (usable.length === 0) throw new FetchError('JWKS document has no usable public signing keys');
  return usable;
}
