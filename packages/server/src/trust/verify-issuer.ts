import type { Issuer } from '../domain/types.ts';
import type { RejectedKey } from './jwks-validation.ts';
import type { OutboundPolicy } from './outbound-policy.ts';
import { loadKeySet } from './remote-key-set.ts';
import { FetchError, type FetchFailure, type ResolveHost } from './safe-fetch.ts';

export interface VerifiedKeySummary {
  kid: string;
  kty: 'RSA' | 'EC';
  /** The key's own `alg`, or null when it names none (Entra). */
  alg: string | null;
  /** RSA modulus or EC curve size in bits. */
  size: number;
}

export interface VerifyIssuerResult {
  ok: boolean;
  keys: VerifiedKeySummary[];
  /** Keys present in the document but not usable, with the reason. */
  rejected: RejectedKey[];
  error?: { code: FetchFailure; message: string };
}

export interface VerifyIssuerDeps {
  policy: OutboundPolicy;
  timeoutMs?: number;
  resolveHost?: ResolveHost;
}

/**
 * "Verify issuer" dry run for the console and CLI: fetches and validates the issuer's keys
 * exactly as the exchange would, without touching any cache or stored state. Works on an
 * issuer that is not saved yet.
 */
export async function verifyIssuerKeys(issuer: Pick<Issuer, 'issuer_url' | 'jwks'>, deps: VerifyIssuerDeps): Promise<VerifyIssuerResult> {
  try {
    const set = await loadKeySet(issuer, { policy: deps.policy, timeoutMs: deps.timeoutMs, resolveHost: deps.resolveHost });
    return { ok: true, keys: set.keys.map(({ kid, kty, alg, size }) => ({ kid, kty, alg, size })), rejected: set.rejected };
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    return { ok: false, keys: [], rejected: [], error: { code: err.code, message: err.message } };
  }
}
