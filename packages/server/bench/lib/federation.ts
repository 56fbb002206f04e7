import { exportJWK, generateKeyPair } from 'jose';
import { BENCH_ADMIN_TOKEN } from './processes.ts';
import { jwt } from './assertions.ts';

export type BenchAlg = 'RS256' | 'ES256';
export const ISSUER_URL = 'https://bench-issuer.example';
export const AUDIENCE = 'https://api.anthropic.com';

export interface BenchFederation {
  organizationId: string;
  ruleId: string;
  /** A valid assertion for the rule; with `kid`, the same under another key ID. */
  sign(i: number, kid?: string): Promise<string>;
}

/** POST to the Admin API as the bench's bootstrap admin; anything but 200 throws. */
export async function adminPost(url: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Inline keys (no network), or a JWKS URL that serves `keyPair`'s public key under `kid`. */
export type KeySource = { type: 'inline' } | { type: 'explicit_url'; url: string; kid: string; keyPair: CryptoKeyPair };

/**
 * Sets up an issuer (inline keys by default, so no network), a service account and a rule through the
 * Admin API, and returns a signer for assertions that the rule accepts.
 */
export async function setUpFederation(url: string, alg: BenchAlg, tag: string, keySource: KeySource = { type: 'inline' }): Promise<BenchFederation> {
  const { privateKey, publicKey } = keySource.type === 'explicit_url' ? keySource.keyPair : await generateKeyPair(alg, { extractable: true });
  const kid = keySource.type === 'explicit_url' ? keySource.kid : `bench-${alg}`;
  const issuer = await adminPost(url, '/v1/organizations/federation_issuers', {
    name: `bench-${tag}-${alg.toLowerCase()}`,
    issuer_url: ISSUER_URL,
    jwks:
      keySource.type === 'explicit_url'
        ? { type: 'explicit_url', url: keySource.url }
        : { type: 'inline', keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig' }] },
  });
  const account = await adminPost(url, '/v1/organizations/service_accounts', { name: `bench-${tag}-${alg.toLowerCase()}` });
  const rule = await adminPost(url, '/v1/organizations/federation_rules', {
    name: `bench-${tag}-${alg.toLowerCase()}`,
    issuer_id: issuer.id,
    match: { subject_prefix: 'bench-workload', audience: AUDIENCE },
    target: { type: 'service_account', service_account_id: account.id },
    oauth_scope: 'workspace:inference',
    applies_to_all_workspaces: true,
  });
  const me = await (await fetch(`${url}/v1/organizations/me`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } })).json();
  const now = Math.floor(Date.now() / 1000);
  return {
    organizationId: me.id,
    ruleId: rule.id,
    sign: (i, signKid = kid) =>
      jwt({ iss: ISSUER_URL, sub: 'bench-workload', aud: AUDIENCE, iat: now, exp: now + 900, jti: `${tag}-${alg}-${i}-${Math.random()}` }, privateKey, {
        alg,
        kid: signKid,
      }),
  };
}

export function exchangeBody(fed: BenchFederation, assertion: string): string {
  return JSON.stringify({
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion,
    federation_rule_id: fed.ruleId,
    organization_id: fed.organizationId,
  });
}
