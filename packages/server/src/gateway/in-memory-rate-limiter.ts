import { resolveRateLimits, type ConcurrencySlot, type RateDecision, type RateLimiter, type RateLimits } from './rate-limiter.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface InMemoryRateLimiterOptions extends Partial<RateLimits> {
  now?: () => number;
  /** Keys tracked at once; past it, idle (full) buckets are dropped first. */
  maxKeys?: number;
}

/**
 * Token bucket + in-flight counter per key, in this process only. Memory is bounded: a bucket
 * that has refilled is indistinguishable from a missing one, so full buckets are swept when the
 * map grows past `maxKeys`; if every key is busy the oldest bucket is dropped (failing open for
 * that key rather than growing without bound).
 */
export class InMemoryRateLimiter implements RateLimiter {
  private readonly limits: RateLimits;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly inFlight = new Map<string, number>();

  constructor(options: InMemoryRateLimiterOptions = {}) {
    this.limits = resolveRateLimits(options);
    this.now = options.now ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  async take(key: string): Promise<RateDecision> {
    const capacity = this.limits.requestsPerMinute;
    const perMs = capacity / 60_000;
    const now = this.now();
    const existing = this.buckets.get(key);
    const tokens = existing ? Math.min(capacity, existing.tokens + Math.max(0, now - existing.updatedAt) * perMs) : capacity;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, updatedAt: now });
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) };
    }
    if (!existing) this.makeRoom();
    this.buckets.set(key, { tokens: tokens - 1, updatedAt: now });
    return { allowed: true };
  }

  async open(key: string): Promise<ConcurrencySlot | null> {
    const current = this.inFlight.get(key) ?? 0;
    if (current >= this.limits.maxConcurrent) return null;
    this.inFlight.set(key, current + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.inFlight.get(key) ?? 1) - 1;
        if (left <= 0) this.inFlight.delete(key);
        else this.inFlight.set(key, left);
      },
    };
  }

  private makeRoom(): void {
    if (this.buckets.size < this.maxKeys) return;
    const capacity = this.limits.requestsPerMinute;
    const perMs = capacity / 60_000;
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * perMs >= capacity) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
  }
}
