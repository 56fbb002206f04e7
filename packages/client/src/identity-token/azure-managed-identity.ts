import { IdentityTokenError } from '../errors.ts';
import { cacheUntilExpiry } from '../lib/expiring-cache.ts';
import {
  describeOAuthStyleError,
  jsonObject,
  platformHttpError,
  platformRequest,
  type PlatformResponse,
  type ResolvedHttpOptions,
} from '../lib/platform-http.ts';
import { backoffDelayMs, retryAfterMs, withRetries, type AttemptOutcome } from '../lib/retry.ts';
import type { IdentityTokenSource } from './file.ts';

/** Refresh a managed-identity token this long before `expires_on` (they live hours). */
const REFRESH_MARGIN_MS = 5 * 60_000;
const GONE_RETRY_DELAY_MS = 10_000;
/** 410 means "IMDS is updating, back within 70 s": 7 waits of 10 s cover it. */
const GONE_MAX_RETRIES = 7;
const RETRY_AFTER_CAP_MS = 30_000;
const BACKOFF = { baseMs: 1000, capMs: 4000 };

export interface ManagedIdentityRequest {
  platform: string;
  url: URL;
  headers: Record<string, string>;
}

export const MANAGED_IDENTITY_HTTP_DEFAULTS = { timeoutMs: 5000, maxAttempts: 4 };

/**
 * Shared by Azure IMDS and App Service: GET the token, retry per the IMDS
 * guidance (410 every 10 s for ~70 s; 408/429/5xx and network failures with
 * jittered backoff, honouring `Retry-After`), never 400/401/403/404/405, and
 * cache the token until shortly before `expires_on`.
 */
export function managedIdentitySource(request: ManagedIdentityRequest, http: ResolvedHttpOptions): IdentityTokenSource {
  // http.maxAttempts bounds 408/429/5xx/network retries; 410 has its own budget.
  const maxRetries = http.maxAttempts - 1;
  const maxAttempts = Math.max(maxRetries, GONE_MAX_RETRIES) + 1;
  const fetchOnce = async (attempt: number): Promise<AttemptOutcome<{ value: string; expiresAtMs: number | null }>> => {
    let response: PlatformResponse;
    try {
      response = await platformRequest(request.platform, request.url, { method: 'GET', headers: request.headers }, http);
    } catch (err) {
      const retryable = err instanceof IdentityTokenError && err.statusCode === null && attempt < maxRetries;
      return { ok: false, error: err as Error, retryDelayMs: retryable ? backoffDelayMs(attempt, { ...BACKOFF, random: http.random }) : null };
    }
    if (response.status === 200) return { ok: true, value: parseTokenResponse(request.platform, response) };
    const error = platformHttpError(request.platform, response, describeOAuthStyleError(response.text));
    return { ok: false, error, retryDelayMs: retryDelay(response, attempt, maxRetries, http) };
  };
  return cacheUntilExpiry(() => withRetries(fetchOnce, { maxAttempts, sleep: http.sleep }), {
    now: http.now,
    refreshMarginMs: REFRESH_MARGIN_MS,
  });
}

function retryDelay(response: PlatformResponse, attempt: number, maxRetries: number, http: ResolvedHttpOptions): number | null {
  const status = response.status;
  if (status === 410) return attempt < GONE_MAX_RETRIES ? GONE_RETRY_DELAY_MS : null;
  if (status !== 408 && status !== 429 && status < 500) return null;
  if (attempt >= maxRetries) return null;
  const hinted = retryAfterMs(response.headers.get('retry-after'), http.now(), RETRY_AFTER_CAP_MS);
  return hinted ?? backoffDelayMs(attempt, { ...BACKOFF, random: http.random });
}

function parseTokenResponse(platform: string, response: PlatformResponse): { value: string; expiresAtMs: number | null } {
  const body = jsonObject(response.text);
  const token = body?.access_token;
  if (typeof token !== 'string' || token.trim() === '') {
    throw new IdentityTokenError('token response has no access_token', { platform, statusCode: response.status });
  }
  return { value: token.trim(), expiresAtMs: expiresOnMs(body?.expires_on) };
}

/** `expires_on` is epoch seconds as a string (sometimes a number); anything else disables caching. */
function expiresOnMs(value: unknown): number | null {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
}

/** Rejects more than one user-assigned identity selector. */
export function singleSelector(platform: string, selectors: Record<string, string | undefined>): [string, string] | null {
  const given = Object.entries(selectors).filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (given.length > 1) {
    throw new TypeError(`${platform}: pass at most one of ${Object.keys(selectors).join(', ')}`);
  }
  const only = given[0];
  if (only !== undefined && only[1].trim() === '') throw new TypeError(`${platform}: ${only[0]} must be a non-empty string`);
  return only ?? null;
}
