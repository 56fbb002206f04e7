import { KeyObject } from 'node:crypto';
import { importJWK, type JWK } from 'jose';
import { OutcomeError } from '../domain/outcome-error.ts';
import type { Issuer } from '../domain/types.ts';
import { IssuerKeySet, keySourceFingerprint, type CachedKey } from './issuer-key-set.ts';
import { isAllowedAlg, keyMatchesAlg, type AllowedAlg } from './jwk-compat.ts';
import { JWKS_DEFAULTS } from './jwks-defaults.ts';
import { bindKey, type AlgBoundKey } from './jws-signature.ts';
import { validateKeySet, type KeySetLimits, type ValidatedKey } from './jwks-validation.ts';
import type { OutboundPolicy } from './outbound-policy.ts';
import { loadKeySet } from './remote-key-set.ts';
import type { ResolveHost } from './safe-fetch.ts';

export type TrustFailure = 'kid_not_found' | 'jwks_unavailable';

/** No usable key for an assertion. `message` may go to the auth event; it never holds token data. */
export class TrustError extends OutcomeError {
  override name = 'TrustError';
  constructor(
    readonly reason: TrustFailure,
    detail: string,
  ) {
    super(detail);
  }
}

export interface KeyResolver {
  /** The verification key for this header's `kid` and `alg`, bound to that alg, or a TrustError. */
  keyFor(issuer: Issuer, header: { kid: string; alg: string }): Promise<AlgBoundKey>;
}

export interface KeyCacheOptions {
  policy: OutboundPolicy;
  now?: () => number;
  /** Cached keys older than this get a background refresh when used (unless polling is paused). */
  maxAgeMs?: number;
  /** At most one request-triggered fetch per issuer per this window (unknown kid, cold or stale cache). */
  unknownKidCooldownMs?: number;
  /** Keys that vanish from the issuer's set stay trusted this long, for in-flight rotations. */
  vanishedKeyGraceMs?: number;
  maxVanishedKeys?: number;
  /** Keys not confirmed by a successful fetch for this long stop being trusted (jwks_unavailable). */
  staleLimitMs?: number;
  maxCachedIssuers?: number;
  fetchTimeoutMs?: number;
  maxResponseBytes?: number;
  limits?: KeySetLimits;
  resolveHost?: ResolveHost;
}

interface Entry {
  /** Cache identity: a change to the issuer's URL or key config starts a fresh entry. */
  fingerprint: string;
  set: IssuerKeySet;
  lastOnDemandAt: number;
  inflight: Promise<void> | null;
  lastError: string | null;
}

/**
 * Per-issuer key cache behind the exchange. Requests share one in-flight fetch per issuer; all
 * request-triggered fetches of an issuer (cold cache, stale cache, unknown kid) share one
 * cooldown, so a flood of tokens with random kids costs at most one fetch per window; failed
 * fetches keep the last-good keys until they pass the stale limit.
 */
export class IssuerKeyCache implements KeyResolver {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly settings: Required<
    Pick<KeyCacheOptions, 'maxAgeMs' | 'unknownKidCooldownMs' | 'vanishedKeyGraceMs' | 'maxVanishedKeys' | 'staleLimitMs' | 'maxCachedIssuers'>
  >;

  constructor(private readonly options: KeyCacheOptions) {
    this.now = options.now ?? Date.now;
    this.settings = {
      maxAgeMs: options.maxAgeMs ?? JWKS_DEFAULTS.maxAgeMs,
      unknownKidCooldownMs: options.unknownKidCooldownMs ?? JWKS_DEFAULTS.onDemandCooldownMs,
      vanishedKeyGraceMs: options.vanishedKeyGraceMs ?? JWKS_DEFAULTS.vanishedKeyGraceMs,
      maxVanishedKeys: options.maxVanishedKeys ?? JWKS_DEFAULTS.maxVanishedKeys,
      staleLimitMs: options.staleLimitMs ?? JWKS_DEFAULTS.staleLimitMs,
      maxCachedIssuers: options.maxCachedIssuers ?? JWKS_DEFAULTS.maxCachedIssuers,
    };
  }

  async keyFor(issuer: Issuer, header: { kid: string; alg: string }): Promise<AlgBoundKey> {
    const entry = this.entryFor(issuer);
    const cached = issuer.jwks.type === 'inline' ? this.findInline(issuer, entry, header.kid) : await this.findRemote(issuer, entry, header.kid);
    const kid = JSON.stringify(header.kid.slice(0, 64));
    if (!cached) throw new TrustError('kid_not_found', `no key with kid ${kid}`);
    if (!isAllowedAlg(header.alg) || !keyMatchesAlg(cached.key.jwk, header.alg))
      throw new TrustError('kid_not_found', `key ${kid} cannot verify ${header.alg}`);
    return importOnce(cached, header.alg);
  }

  /**
   * Fetches the issuer's keys now (joining a fetch already in flight) and merges them; throws
   * the FetchError on failure, leaving the cached keys as they were. Used by the poller.
   */
  async refresh(issuer: Issuer, signal?: AbortSignal): Promise<{ keys: number }> {
    const entry = this.entryFor(issuer);
    await this.fetchInto(issuer, entry, signal);
    return { keys: entry.set.trusted(this.now()).length };
  }

  /** The keys currently trusted for an issuer (published and in grace), for display; no fetch. */
  cachedKeys(issuerId: string): JWK[] {
    return (this.entries.get(issuerId)?.set.trusted(this.now()) ?? []).map((c) => c.key.jwk);
  }

  forget(issuerId: string): void {
    this.entries.delete(issuerId);
  }

  private findInline(issuer: Issuer, entry: Entry, kid: string): CachedKey | null {
    if (entry.set.lastSuccessAt === null) {
      try {
        entry.set.merge(loadInline(issuer, this.options.limits), this.now());
      } catch (err) {
        throw new TrustError('kid_not_found', (err as Error).message);
      }
    }
    return entry.set.find(kid, this.now());
  }

  private async findRemote(issuer: Issuer, entry: Entry, kid: string): Promise<CachedKey | null> {
    if (!this.isUsable(entry)) {
      await this.fetchOnDemand(issuer, entry);
      if (!this.isUsable(entry)) throw new TrustError('jwks_unavailable', this.describeUnavailable(entry));
    }
    const found = entry.set.find(kid, this.now());
    if (!found) {
      await this.fetchOnDemand(issuer, entry);
      return this.isUsable(entry) ? entry.set.find(kid, this.now()) : null;
    }
    const age = this.now() - (entry.set.lastSuccessAt ?? 0);
    // Freshness normally comes from the poller; this covers deployments without one.
    if (age > this.settings.maxAgeMs && issuer.jwks_polling_disabled_at === null) void this.fetchOnDemand(issuer, entry);
    return found;
  }

  /** Fetched at least once, and confirmed within the stale limit. */
  private isUsable(entry: Entry): boolean {
    const at = entry.set.lastSuccessAt;
    return at !== null && this.now() - at <= this.settings.staleLimitMs;
  }

  private describeUnavailable(entry: Entry): string {
    const cause = entry.lastError ? `: ${entry.lastError}` : '';
    const at = entry.set.lastSuccessAt;
    if (at === null) return `the issuer's keys could not be fetched${cause}`;
    return `the issuer's keys were last fetched at ${new Date(at).toISOString()}, longer ago than the stale limit${cause}`;
  }

  /** A request-triggered fetch: joins one in flight, else at most one per cooldown. Never throws. */
  private async fetchOnDemand(issuer: Issuer, entry: Entry): Promise<void> {
    if (entry.inflight === null) {
      const now = this.now();
      if (now - entry.lastOnDemandAt < this.settings.unknownKidCooldownMs) return;
      entry.lastOnDemandAt = now;
    }
    await this.fetchInto(issuer, entry).catch(() => undefined);
  }

  private fetchInto(issuer: Issuer, entry: Entry, signal?: AbortSignal): Promise<void> {
    entry.inflight ??= (async () => {
      try {
        const { keys } = await loadKeySet(issuer, {
          policy: this.options.policy,
          timeoutMs: this.options.fetchTimeoutMs,
          maxBytes: this.options.maxResponseBytes,
          limits: this.options.limits,
          resolveHost: this.options.resolveHost,
          signal,
        });
        entry.set.merge(keys, this.now());
        entry.lastError = null;
      } catch (err) {
        entry.lastError = (err as Error).message.slice(0, 300);
        throw err;
      } finally {
        entry.inflight = null;
      }
    })();
    return entry.inflight;
  }

  private entryFor(issuer: Issuer): Entry {
    const fingerprint = keySourceFingerprint(issuer);
    let entry = this.entries.get(issuer.id);
    if (entry) this.entries.delete(issuer.id);
    if (!entry || entry.fingerprint !== fingerprint) {
      const set = new IssuerKeySet({ graceMs: this.settings.vanishedKeyGraceMs, maxVanished: this.settings.maxVanishedKeys });
      entry = { fingerprint, set, lastOnDemandAt: -Infinity, inflight: null, lastError: null };
    }
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    this.entries.set(issuer.id, entry);
    if (this.entries.size > this.settings.maxCachedIssuers) this.entries.delete(this.entries.keys().next().value as string);
    return entry;
  }
}

/** Inline keys pass the same checks as fetched ones. */
function loadInline(issuer: Issuer, limits: KeySetLimits | undefined): ValidatedKey[] {
  return issuer.jwks.type === 'inline' ? validateKeySet({ keys: issuer.jwks.keys }, 'inline keys', limits).keys : [];
}

async function importOnce(cached: CachedKey, alg: AllowedAlg): Promise<AlgBoundKey> {
  let bound = cached.imported.get(alg);
  if (!bound) {
    const { kid: _kid, use: _use, alg: _alg, ...material } = cached.key.jwk;
    try {
      // jose checks the JWK against the algorithm; the signature itself is checked by jws-signature.ts.
      const imported = await importJWK(material, alg);
      if (imported instanceof Uint8Array) throw new TypeError('not an asymmetric key');
      bound = bindKey(KeyObject.from(imported), alg);
    } catch {
      throw new TrustError('kid_not_found', `key ${JSON.stringify(cached.key.kid.slice(0, 64))} is not a valid ${alg} key`);
    }
    cached.imported.set(alg, bound);
  }
  return bound;
}
