import { IdentityTokenError } from '../errors.ts';
import { readEnv, type Env } from '../lib/env.ts';
import {
  describeOAuthStyleError,
  jsonObject,
  platformHttpError,
  platformRequest,
  resolveHttpOptions,
  type HttpProviderOptions,
  type PlatformResponse,
} from '../lib/platform-http.ts';
import { backoffDelayMs, withRetries, type AttemptOutcome } from '../lib/retry.ts';
import { requireSecureBaseURL } from '../lib/secure-url.ts';
import type { IdentityTokenSource } from './file.ts';

const PLATFORM = 'github-actions';
const RETRIED_STATUSES = new Set([502, 503, 504]);

export interface GithubActionsOptions extends HttpProviderOptions {
  /** Requested `aud`, e.g. `https://api.anthropic.com`. */
  audience: string;
  /** Default `ACTIONS_ID_TOKEN_REQUEST_URL`. */
  requestUrl?: string;
  /** Default `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (sent as a bearer, never logged). */
  requestToken?: string;
  env?: Env;
}

/**
 * GitHub Actions OIDC token (platforms.md §6). The job needs
 * `permissions: id-token: write`. Fetches a new token on every call (they
 * live ~5 minutes); 502/503/504 and network failures are retried.
 */
export function githubActions(options: GithubActionsOptions): IdentityTokenSource {
  const env = options.env ?? process.env;
  if (typeof options.audience !== 'string' || options.audience.trim() === '') {
    throw new TypeError(`${PLATFORM}: audience must be a non-empty string`);
  }
  const requestUrl = options.requestUrl ?? readEnv(env, 'ACTIONS_ID_TOKEN_REQUEST_URL');
  const requestToken = options.requestToken ?? readEnv(env, 'ACTIONS_ID_TOKEN_REQUEST_TOKEN');
  if (requestUrl === undefined || requestToken === undefined || requestToken === '') {
    throw new TypeError(
      `${PLATFORM}: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set; grant the job "permissions: id-token: write"`,
    );
  }
  // The request URL already carries a query string; appending via URL keeps it intact.
  const url = requireSecureBaseURL(requestUrl, `${PLATFORM}: request URL`);
  url.searchParams.set('audience', options.audience.trim());
  const http = resolveHttpOptions(PLATFORM, options, { timeoutMs: 10_000, maxAttempts: 4 });
  const init: RequestInit = { method: 'GET', headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' } };

  const attempt = async (index: number): Promise<AttemptOutcome<string>> => {
    let response: PlatformResponse;
    try {
      response = await platformRequest(PLATFORM, url, init, http);
    } catch (err) {
      const retryable = err instanceof IdentityTokenError && err.statusCode === null;
      return { ok: false, error: err as Error, retryDelayMs: retryable ? backoff(index) : null };
    }
    if (response.status === 200) return { ok: true, value: tokenValue(response) };
    const error = platformHttpError(PLATFORM, response, describeOAuthStyleError(response.text));
    return { ok: false, error, retryDelayMs: RETRIED_STATUSES.has(response.status) ? backoff(index) : null };
  };
  const backoff = (index: number) => backoffDelayMs(index, { baseMs: 500, capMs: 5000, random: http.random });
  return () => withRetries(attempt, { maxAttempts: http.maxAttempts, sleep: http.sleep });
}

function tokenValue(response: PlatformResponse): string {
  const value = jsonObject(response.text)?.value;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new IdentityTokenError('response has no "value" token', { platform: PLATFORM, statusCode: response.status });
  }
  return value.trim();
}
