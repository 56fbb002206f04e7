import { importJWK, type JWK } from 'jose';
import type { Issuer } from '../domain/types.ts';
import { keyMatchesAlg } from './jwk-compat.ts';
import { loadRemoteKeySet } from './remote-key-set.ts';
import type { OutboundPolicy } from './outbound-policy.ts';

export type TrustFailure = 'kid_not_found' | 'jwks_unavailable';

export class TrustError extends Error {
  override name = 'TrustError';
  constructor(readonly reason: TrustFailure, detail: string) {
    super(detail);
  }
}

export interface KeyResolver {
  /** The verification key for this header's `kid` and `alg`, or a TrustError. */
  keyFor(issuer: Issuer, header: { kid: string; alg: string }): Promise<CryptoKey | Uint8Array>;
}

export interface KeyCacheOptions {
  policy: OutboundPolicy;
  now?: () => number;
  /** Keys older than this are refreshed before use (the docs promise pick-up within a minute). */
  maxAgeMs?: number;
  /** At most one refetch per issuer per this window because of an unknown `kid`. */
  unknownKidCooldownMs?: number;
  /** Keys that vanish from the issuer's set stay trusted this long, for in-flight rotations. */
  vanishedKeyGraceMs?: number;
  fetchTimeoutMs?: number;
}

interface CachedKey {
  jwk: JWK;
  /** Last time the issuer published it. */
  seenAt: number;
}

interface Entry {
  /** Cache identity: a change to the issuer's URL or key config starts a fresh entry. */
  fingerprint: string;
  keys: Map<string, CachedKey>;
  fetchedAt: number;
  lastKidRefetchAt: number;
  inflight: Promise<void> | null;
}

/**
 * Per-issuer key cache. Concurrent requests share one in-flight fetch; a flood of tokens with
 * random `kid`s costs at most one fetch per cooldown; a failed refresh keeps the last-good keys.
 */
export class IssuerKeyCache implements KeyResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly imported = new Map<string, CryptoKey | Uint8Array>();
  private readonly now: () => number;
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly graceMs: number;

  constructor(private readonly options: KeyCacheOptions) {
    this.now = options.now ?? Date.now;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.cooldownMs = options.unknownKidCooldownMs ?? 30_000;
    this.graceMs = options.vanishedKeyGraceMs ?? 60 * 60_000;
  }

  async keyFor(issuer: Issuer, header: { kid: string; alg: string }): Promise<CryptoKey | Uint8Array> {
    const jwk = issuer.jwks.type === 'inline' ? findInline(issuer, header.kid) : await this.findRemote(issuer, header.kid);
    if (!jwk) throw new TrustError('kid_not_found', `no key with kid ${JSON.stringify(header.kid.slice(0, 64))}`);
    if (!keyMatchesAlg(jwk, header.alg)) {
      throw new TrustError('kid_not_found', `key ${JSON.stringify(header.kid.slice(0, 64))} cannot verify ${header.alg}`);
    }
    return this.importKey(issuer.id, jwk, header.alg);
  }

  /** Fetches now (used by the poller and by "verify issuer"); returns the number of keys. */
  async refresh(issuer: Issuer): Promise<number> {
    const entry = this.entryFor(issuer);
    await this.fetchInto(issuer, entry);
    return entry.keys.size;
  }

  /** The keys currently trusted for an issuer, for display (no fetch). */
  cachedKeys(issuerId: string): JWK[] {
    return [...(this.entries.get(issuerId)?.keys.values() ?? [])].map((k) => k.jwk);
  }

  forget(issuerId: string): void {
    this.entries.delete(issuerId);
  }

  private async findRemote(issuer: Issuer, kid: string): Promise<JWK | null> {
    const entry = this.entryFor(issuer);
    const now = this.now();
    if (entry.keys.size === 0 || now - entry.fetchedAt > this.maxAgeMs) {
      try {
        await this.fetchInto(issuer, entry);
      } catch (err) {
        if (entry.keys.size === 0) throw new TrustError('jwks_unavailable', (err as Error).message);
      }
    }
    const found = entry.keys.get(kid);
    if (found) return found.jwk;
    if (now - entry.lastKidRefetchAt < this.cooldownMs) return null;
    entry.lastKidRefetchAt = now;
    try {
      await this.fetchInto(issuer, entry);
    } catch {
      return null;
    }
    return entry.keys.get(kid)?.jwk ?? null;
  }

  private entryFor(issuer: Issuer): Entry {
    const fingerprint = JSON.stringify([issuer.issuer_url, issuer.jwks]);
    let entry = this.entries.get(issuer.id);
    if (!entry || entry.fingerprint !== fingerprint) {
      entry = { fingerprint, keys: new Map(), fetchedAt: 0, lastKidRefetchAt: -Infinity, inflight: null };
      this.entries.set(issuer.id, entry);
    }
    return entry;
  }

  private fetchInto(issuer: Issuer, entry: Entry): Promise<void> {
    entry.inflight ??= (async () => {
      try {
        const keys = await loadRemoteKeySet(issuer, { policy: this.options.policy, timeoutMs: this.options.fetchTimeoutMs });
        const now = this.now();
        for (const jwk of keys) entry.keys.set(jwk.kid as string, { jwk, seenAt: now });
        for (const [kid, cached] of entry.keys) if (now - cached.seenAt > this.graceMs) entry.keys.delete(kid);
        entry.fetchedAt = now;
      } finally {
        entry.inflight = null;
      }
    })();
    return entry.inflight;
  }

  private async importKey(issuerId: string, jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
    const cacheKey = `${issuerId}\u0000${alg}\u0000${JSON.stringify(jwk)}`;
    let key = this.imported.get(cacheKey);
    if (!key) {
      try {
        key = await importJWK({ ...jwk, alg: undefined, use: undefined, key_ops: undefined }, alg);
      } catch {
        throw new TrustError('kid_not_found', `key ${JSON.stringify(String(jwk.kid).slice(0, 64))} is not a valid ${alg} key`);
      }
      if (this.imported.size > 10_000) this.imported.clear();
      this.imported.set(cacheKey, key);
    }
    return key;
  }
}

function findInline(issuer: Issuer, kid: string): JWK | null {
  if (issuer.jwks.type !== 'inline') return null;
  const found = issuer.jwks.keys.find((k) => k.kid === kid);
  return (found as JWK | undefined) ?? null;
}
