import { createPublicKey, X509Certificate } from 'node:crypto';
import { Type } from 'typebox';
import type { JwksConfig } from '../domain/types.ts';
import { badRequest } from '../http/errors.ts';
import { validateKeySet, type RejectedKey } from '../trust/jwks-validation.ts';
import type { OutboundPolicy } from '../trust/outbound-policy.ts';
import { FetchError } from '../trust/safe-fetch.ts';

/**
 * The `jwks` input (spec §1.5, §4.1, §4.2). The schema only pins the discriminator; the variant
 * fields are checked here so every message names the exact field (`jwks.keys.0.kid: …`).
 */
export const JwksInput = Type.Object({ type: Type.Enum(['discovery', 'explicit_url', 'inline']) });

export const IssuerUrl = Type.String({ minLength: 1, maxLength: 2048 });
export const MaxJwtLifetime = Type.Integer({ minimum: 1, maximum: 176_400 });

const MAX_URL_LENGTH = 2048;
const MAX_CA_PEM_LENGTH = 8192;
const MAX_INLINE_KEYS = 100;
const MAX_KID_LENGTH = 256;
const MIN_RSA_BITS = 2048;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const EC_CURVES = new Set(['P-256', 'P-384', 'P-521']);
const VARIANT_FIELDS: Record<JwksConfig['type'], string[]> = {
  discovery: ['discovery_base', 'ca_cert_pem'],
  explicit_url: ['url', 'ca_cert_pem'],
  inline: ['keys'],
};

export function parseJwks(input: Record<string, unknown> & { type: JwksConfig['type'] }): JwksConfig {
  for (const key of Object.keys(input)) {
    if (key !== 'type' && !VARIANT_FIELDS[input.type].includes(key)) {
      throw badRequest(`jwks.${key.slice(0, 64)}: not a field of the ${input.type} key source`);
    }
  }
  switch (input.type) {
    case 'discovery':
      return {
        type: 'discovery',
        discovery_base: optionalUrl(input['discovery_base'], 'jwks.discovery_base'),
        ca_cert_pem: optionalCaPem(input['ca_cert_pem']),
      };
    case 'explicit_url': {
      const url = optionalUrl(input['url'], 'jwks.url');
      if (url === null) throw badRequest('jwks.url: Field required');
      return { type: 'explicit_url', url, ca_cert_pem: optionalCaPem(input['ca_cert_pem']) };
    }
    case 'inline':
      return { type: 'inline', keys: inlineKeys(input['keys']) };
  }
}

function optionalUrl(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw badRequest(`${field}: must be string`);
  if (value.length === 0 || value.length > MAX_URL_LENGTH) throw badRequest(`${field}: must be 1-${MAX_URL_LENGTH} characters`);
  return value;
}

/** A private CA for the TLS connection to the key host: must parse as an X.509 certificate. */
function optionalCaPem(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw badRequest('jwks.ca_cert_pem: must be string');
  if (value.length > MAX_CA_PEM_LENGTH) throw badRequest(`jwks.ca_cert_pem: must be at most ${MAX_CA_PEM_LENGTH} characters`);
  if (!value.includes('-----BEGIN CERTIFICATE-----')) throw badRequest('jwks.ca_cert_pem: must be a PEM-encoded certificate');
  try {
    new X509Certificate(value);
  } catch {
    throw badRequest('jwks.ca_cert_pem: could not be parsed as a PEM certificate');
  }
  return value;
}

/** 1–100 public RSA/EC signing keys, each with a unique `kid`; private key material is refused outright. */
function inlineKeys(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) throw badRequest('jwks.keys: must be an array of JWK objects (not a {"keys": [...]} wrapper)');
  if (value.length === 0 || value.length > MAX_INLINE_KEYS) throw badRequest(`jwks.keys: must hold 1-${MAX_INLINE_KEYS} keys`);
  const kids = new Set<string>();
  value.forEach((key: unknown, i) => {
    const field = `jwks.keys.${i}`;
    if (typeof key !== 'object' || key === null || Array.isArray(key)) throw badRequest(`${field}: must be a JWK object`);
    const jwk = key as Record<string, unknown>;
    if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) throw badRequest(`${field}: private or symmetric key material is not accepted; publish the public key only`);
    if (typeof jwk['kid'] !== 'string' || jwk['kid'].length === 0 || jwk['kid'].length > MAX_KID_LENGTH) {
      throw badRequest(`${field}.kid: must be a non-empty string of at most ${MAX_KID_LENGTH} characters`);
    }
    if (kids.has(jwk['kid'])) throw badRequest(`${field}.kid: duplicate kid ${JSON.stringify(jwk['kid'])}`);
    kids.add(jwk['kid']);
    if (jwk['kty'] !== 'RSA' && jwk['kty'] !== 'EC') throw badRequest(`${field}.kty: must be "RSA" or "EC"`);
    if (jwk['kty'] === 'EC' && (typeof jwk['crv'] !== 'string' || !EC_CURVES.has(jwk['crv']))) throw badRequest(`${field}.crv: must be P-256, P-384 or P-521`);
    assertUsablePublicKey(jwk, field);
  });
  assertRuntimeWouldUse(value as Array<Record<string, unknown>>);
  return value as Array<Record<string, unknown>>;
}

/**
 * The exchange filters keys with trust/jwks-validation.ts; a key it would drop (wrong `use`,
 * an `alg` or `key_ops` that cannot verify) must be refused here, not saved to fail every exchange.
 */
function assertRuntimeWouldUse(keys: Array<Record<string, unknown>>): void {
  let rejected: RejectedKey[];
  try {
    rejected = validateKeySet({ keys }, 'jwks.keys').rejected;
  } catch (err) {
    throw badRequest(err instanceof FetchError ? err.message : 'jwks.keys: not a usable key set');
  }
  const first = rejected[0];
  if (first) throw badRequest(`jwks.keys: key ${JSON.stringify(first.kid ?? '(no kid)')} would never be used: ${first.reason}`);
}

/** Parses the key for real; RSA moduli under 2048 bits are refused (the verifier would refuse them anyway). */
function assertUsablePublicKey(jwk: Record<string, unknown>, field: string): void {
  let bits: number | undefined;
  try {
    bits = createPublicKey({ key: jwk as never, format: 'jwk' }).asymmetricKeyDetails?.modulusLength;
  } catch {
    throw badRequest(`${field}: is not a valid ${String(jwk['kty'])} public key`);
  }
  if (jwk['kty'] === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) {
    throw badRequest(`${field}: RSA keys must be at least ${MIN_RSA_BITS} bits`);
  }
}

/** The URLs this configuration makes the server dial (spec §4.2: only those are policed). */
function dialledUrls(issuerUrl: string, jwks: JwksConfig): Array<{ field: string; url: string }> {
  switch (jwks.type) {
    case 'discovery':
      return jwks.discovery_base ? [{ field: 'jwks.discovery_base', url: jwks.discovery_base }] : [{ field: 'issuer_url', url: issuerUrl }];
    case 'explicit_url':
      return [{ field: 'jwks.url', url: jwks.url }];
    case 'inline':
      return [];
  }
}

export function checkDialledUrls(outbound: OutboundPolicy, issuerUrl: string, jwks: JwksConfig): void {
  for (const { field, url } of dialledUrls(issuerUrl, jwks)) {
    const problem = outbound.checkUrl(url);
    if (problem !== null) throw badRequest(`${field}: ${problem}`);
  }
}
