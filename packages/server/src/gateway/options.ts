import type { RateLimiter } from './rate-limiter.ts';

/** Limits on one forwarded call to the upstream API. Every wait has an end. */
export interface UpstreamTimeouts {
  /** TCP (and TLS) connection to the upstream. */
  connectMs: number;
  /**
   * From sending the request to the upstream's response headers. A non-streaming Messages call
   * only answers once the whole completion is ready, so this matches the SDK's default 10 min.
   */
  responseHeadersMs: number;
  /** Longest silence between two body chunks of the response (the API pings streams every few seconds). */
  idleMs: number;
  /** Hard cap on one response, however lively. */
  totalMs: number;
}

export interface GatewayOptions {
  timeouts: UpstreamTimeouts;
  /** Request bodies above this are refused with 413 (checked on Content-Length and while streaming). */
  maxBodyBytes: number;
  /** Per-service-account limits; the default is in-memory, so per instance. */
  rateLimiter: RateLimiter | null;
  /** With no upstream URL: answer with the built-in stand-in model (`openwif dev`) instead of 503. */
  standIn: boolean;
}

export const DEFAULT_TIMEOUTS: UpstreamTimeouts = {
  connectMs: 10_000,
  responseHeadersMs: 600_000,
  idleMs: 300_000,
  totalMs: 3_600_000,
};

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export function resolveGatewayOptions(options: Partial<Omit<GatewayOptions, 'timeouts'>> & { timeouts?: Partial<UpstreamTimeouts> }): GatewayOptions {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  for (const [name, value] of Object.entries(timeouts)) {
    if (!Number.isInteger(value) || value <= 0) throw new TypeError(`gateway timeout ${name} must be a positive integer (ms)`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new TypeError('gateway maxBodyBytes must be a positive integer');
  return { timeouts, maxBodyBytes, rateLimiter: options.rateLimiter ?? null, standIn: options.standIn ?? false };
}
