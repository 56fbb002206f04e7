/**
 * The gateway's per-service-account limits, as a port: the in-memory implementation counts
 * per instance; with Redis configured, `storage/redis/rate-limiter.ts` makes the limits hold
 * across instances. Implementations are safe for concurrent use.
 */
export interface RateLimiter {
  /** Takes one request from the key's budget, or says how long until one is available. */
  take(key: string): Promise<RateDecision>;
  /**
   * Opens one concurrent-request slot for the key, or returns null when all are in use.
   * A shared implementation must expire slots on its own (after the longest possible request),
   * so a crashed instance cannot hold them forever.
   */
  open(key: string): Promise<ConcurrencySlot | null>;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface ConcurrencySlot {
  /** Idempotent: a second call does nothing. */
  release(): void;
}

export interface RateLimits {
  /** Sustained requests per minute per key; also the burst size (one minute's worth). */
  requestsPerMinute: number;
  /** Requests (streaming or not) in flight at once per key. */
  maxConcurrent: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { requestsPerMinute: 600, maxConcurrent: 8 };

/** The defaults with what `options` sets; each limit must be a positive integer. */
export function resolveRateLimits(options: Partial<RateLimits>): RateLimits {
  const limits = { ...DEFAULT_RATE_LIMITS };
  for (const name of ['requestsPerMinute', 'maxConcurrent'] as const) {
    const value = options[name] ?? limits[name];
    if (!Number.isInteger(value) || value <= 0) throw new TypeError(`rate limit ${name} must be a positive integer`);
    limits[name] = value;
  }
  return limits;
}

/** `Retry-After` for a full concurrency budget: slots free up as streams end, so try again soon. */
export const CONCURRENCY_RETRY_AFTER_SECONDS = 1;
