import { describeJson } from '../domain/printable.ts';
import type { Issuer } from '../domain/types.ts';
import { validateKeySet, type KeySetLimits, type ValidatedKeySet } from './jwks-validation.ts';
import type { OutboundPolicy } from './outbound-policy.ts';
import { FetchError, fetchJson, type ResolveHost } from './safe-fetch.ts';

export interface KeySetFetchOptions {
  policy: OutboundPolicy;
  timeoutMs?: number | undefined;
  maxBytes?: number | undefined;
  limits?: KeySetLimits | undefined;
  resolveHost?: ResolveHost | undefined;
  signal?: AbortSignal | undefined;
}

const MAX_JWKS_URI_LENGTH = 2048;

/**
 * An issuer's current public keys, validated. Inline keys need no network. Discovery (spec §7
 * decision): when the document is read from `issuer_url` itself its `issuer` must equal
 * `issuer_url` byte for byte; with `discovery_base` only its `jwks_uri` is used (Entra's v1 and
 * v2 issuers share one key set).
 */
export async function loadKeySet(issuer: Pick<Issuer, 'issuer_url' | 'jwks'>, options: KeySetFetchOptions): Promise<ValidatedKeySet> {
  const { jwks } = issuer;
  if (jwks.type === 'inline') return validateKeySet({ keys: jwks.keys }, 'inline keys', options.limits);
  const fetchOptions = {
    policy: options.policy,
    caCertPem: jwks.ca_cert_pem ?? null,
    timeoutMs: options.timeoutMs,
    maxBytes: options.maxBytes,
    resolveHost: options.resolveHost,
    signal: options.signal,
  };
  const jwksUri = jwks.type === 'explicit_url' ? jwks.url : await discoverJwksUri(issuer, jwks.discovery_base ?? null, fetchOptions);
  return validateKeySet(await fetchJson(jwksUri, fetchOptions), jwksUri, options.limits);
}

async function discoverJwksUri(
  issuer: Pick<Issuer, 'issuer_url'>,
  discoveryBase: string | null,
  fetchOptions: Parameters<typeof fetchJson>[1],
): Promise<string> {
  const url = `${(discoveryBase ?? issuer.issuer_url).replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const doc = await fetchJson(url, fetchOptions);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new FetchError('invalid_document', `${url}: discovery document is not a JSON object`);
  }
  const { issuer: named, jwks_uri: jwksUri } = doc as { issuer?: unknown; jwks_uri?: unknown };
  if (discoveryBase === null && named !== issuer.issuer_url) {
    throw new FetchError('invalid_document', `${url}: discovery document names issuer ${describeJson(named, 200)}, expected ${issuer.issuer_url}`);
  }
  if (typeof jwksUri !== 'string' || jwksUri.length === 0 || jwksUri.length > MAX_JWKS_URI_LENGTH) {
    throw new FetchError('invalid_document', `${url}: discovery document has no usable jwks_uri`);
  }
  return jwksUri;
}
