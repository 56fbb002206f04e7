import { IdentityTokenError } from '../errors.ts';
import { readEnv, type Env } from '../lib/env.ts';
import { platformHttpError, platformRequest, resolveHttpOptions, type HttpProviderOptions, type PlatformResponse } from '../lib/platform-http.ts';
import { backoffDelayMs, withRetries, type AttemptOutcome } from '../lib/retry.ts';
import type { IdentityTokenSource } from './file.ts';

const PLATFORM = 'gcp-metadata';
const DEFAULT_HOST = 'metadata.google.internal';
const IDENTITY_PATH = '/computeMetadata/v1/instance/service-accounts/default/identity';
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface GcpMetadataOptions extends HttpProviderOptions {
  /** Requested `aud`, e.g. `https://api.anthropic.com`. */
  audience: string;
  /** `full` (default) adds `email` and `google.compute_engine` claims, which rules usually match on. */
  format?: 'full' | 'standard';
  /** Adds license IDs to the `full` token. */
  licenses?: boolean;
  /** `host[:port]` or URL; default `GCE_METADATA_HOST`, else `GCE_METADATA_IP`, else `metadata.google.internal`. */
  host?: string;
  env?: Env;
}

/**
 * GCE / GKE / Cloud Run identity token from the metadata server
 * (platforms.md §8). The body is the raw JWT; like `gcp-metadata`, a response
 * without `Metadata-Flavor: Google` is refused. 5xx and network failures are
 * retried; a new token is fetched on every call.
 */
export function gcpMetadata(options: GcpMetadataOptions): IdentityTokenSource {
  const env = options.env ?? process.env;
  if (typeof options.audience !== 'string' || options.audience.trim() === '') {
    throw new TypeError(`${PLATFORM}: audience must be a non-empty string`);
  }
  const format = options.format ?? 'full';
  if (format !== 'full' && format !== 'standard') throw new TypeError(`${PLATFORM}: format must be "full" or "standard"`);
  const url = metadataUrl(options.host ?? readEnv(env, 'GCE_METADATA_HOST') ?? readEnv(env, 'GCE_METADATA_IP') ?? DEFAULT_HOST);
  url.searchParams.set('audience', options.audience.trim());
  url.searchParams.set('format', format);
  if (options.licenses === true) url.searchParams.set('licenses', 'TRUE');
  const http = resolveHttpOptions(PLATFORM, options, { timeoutMs: 3000, maxAttempts: 4 });
  const init: RequestInit = { method: 'GET', headers: { 'Metadata-Flavor': 'Google' } };

  const attempt = async (index: number): Promise<AttemptOutcome<string>> => {
    let response: PlatformResponse;
    try {
      response = await platformRequest(PLATFORM, url, init, http);
    } catch (err) {
      const retryable = err instanceof IdentityTokenError && err.statusCode === null;
      return { ok: false, error: err as Error, retryDelayMs: retryable ? backoff(index) : null };
    }
    if (response.headers.get('metadata-flavor') !== 'Google') {
      const error = new IdentityTokenError(`response from ${url.host} lacks "Metadata-Flavor: Google"; not a metadata server`, {
        platform: PLATFORM,
        statusCode: response.status,
      });
      return { ok: false, error, retryDelayMs: null };
    }
    if (response.status === 200) return { ok: true, value: jwtBody(response) };
    const error = platformHttpError(PLATFORM, response, { description: response.text.trim() || null });
    return { ok: false, error, retryDelayMs: response.status >= 500 ? backoff(index) : null };
  };
  const backoff = (index: number) => backoffDelayMs(index, { baseMs: 500, capMs: 4000, random: http.random });
  return () => withRetries(attempt, { maxAttempts: http.maxAttempts, sleep: http.sleep });
}

function metadataUrl(host: string): URL {
  const base = /^https?:\/\//i.test(host) ? host : `http://${host}`;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new TypeError(`${PLATFORM}: metadata host is not a valid host[:port] or URL`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${IDENTITY_PATH}`;
  return url;
}

function jwtBody(response: PlatformResponse): string {
  const token = response.text.trim();
  if (!COMPACT_JWS.test(token)) {
    throw new IdentityTokenError('metadata server returned a body that is not a JWT', { platform: PLATFORM, statusCode: 200 });
  }
  return token;
}
