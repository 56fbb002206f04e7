import type { Issuer } from '../domain/types.ts';
import type { ValidatedKey } from './jwks-validation.ts';
import type { AlgBoundKey } from './jws-signature.ts';

type KeySource = Pick<Issuer, 'issuer_url' | 'jwks'>;
// Every exchange asks, with the same (cached, never mutated) issuer object until it changes.
const fingerprints = new WeakMap<KeySource, string>();

/** Identity of an issuer's key source: when it changes, cached keys and schedules start afresh. */
export function keySourceFingerprint(issuer: KeySource): string {
  let fingerprint = fingerprints.get(issuer);
  if (fingerprint === undefined) {
    fingerprint = JSON.stringify([issuer.issuer_url, issuer.jwks]);
    fingerprints.set(issuer, fingerprint);
  }
  return fingerprint;
}

export interface CachedKey {
  key: ValidatedKey;
  /** Time of the first successful fetch that no longer listed the key; null while published. */
  vanishedAt: number | null;
  /** Imported verification keys by algorithm, so each key is imported once per alg. */
  imported: Map<string, AlgBoundKey>;
}

/**
 * The keys trusted for one issuer: the union of the latest published set and keys that left it
 * less than a grace period ago, so tokens signed just before a rotation still verify.
 */
export class IssuerKeySet {
  private readonly keys = new Map<string, CachedKey>();
  /** Time of the last successful fetch (or of loading inline keys); null before the first. */
  lastSuccessAt: number | null = null;

  constructor(private readonly limits: { graceMs: number; maxVanished: number }) {}

  /** Replaces the published set with `fresh`, starting the grace period of keys no longer in it. */
  merge(fresh: readonly ValidatedKey[], now: number): void {
    const freshKids = new Set<string>();
    for (const key of fresh) {
      freshKids.add(key.kid);
      const existing = this.keys.get(key.kid);
      if (existing && JSON.stringify(existing.key.jwk) === JSON.stringify(key.jwk)) {
        existing.vanishedAt = null;
      } else {
        // A reused kid with new material replaces the old key at once: kids name one key.
        this.keys.set(key.kid, { key, vanishedAt: null, imported: new Map() });
      }
    }
    const vanished: Array<[string, CachedKey]> = [];
    for (const [kid, cached] of this.keys) {
      if (freshKids.has(kid)) continue;
      cached.vanishedAt ??= now;
      if (now - cached.vanishedAt > this.limits.graceMs) this.keys.delete(kid);
      else vanished.push([kid, cached]);
    }
    vanished.sort((a, b) => a[1].vanishedAt! - b[1].vanishedAt!);
    for (const [kid] of vanished.slice(0, Math.max(0, vanished.length - this.limits.maxVanished))) this.keys.delete(kid);
    this.lastSuccessAt = now;
  }

  /** The key with this kid, if it is published or still within its grace period. */
  find(kid: string, now: number): CachedKey | null {
    const cached = this.keys.get(kid);
    if (!cached) return null;
    if (cached.vanishedAt !== null && now - cached.vanishedAt > this.limits.graceMs) return null;
    return cached;
  }

  /** Every key `find` would return now. */
  trusted(now: number): CachedKey[] {
    return [...this.keys.keys()].map((kid) => this.find(kid, now)).filter((k): k is CachedKey => k !== null);
  }
}
