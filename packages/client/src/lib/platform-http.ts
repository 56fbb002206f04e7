import { IdentityTokenError } from '../errors.ts';
import { BodyTooLargeError, readBodyText } from './read-body.ts';
import { parseJsonOrText, truncateText } from './redact.ts';
import { defaultSleep, type Sleep } from './retry.ts';

/** Transport knobs shared by every network identity-token provider. */
export interface HttpProviderOptions {
  fetch?: typeof fetch;
  /** Per-request timeout in ms (each provider has its own default). */
  timeoutMs?: number;
  /** Attempts including the first; each provider has its own default and cap. */
  maxAttempts?: number;
  sleep?: Sleep;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Clock in epoch ms, used for token expiry and `Retry-After` dates. */
  now?: () => number;
}

export interface ResolvedHttpOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  maxAttempts: number;
  sleep: Sleep;
  random: () => number;
  now: () => number;
}

/** Largest platform token response accepted; identity tokens are far smaller. */
export const MAX_PLATFORM_RESPONSE_BYTES = 64 * 1024;
const MAX_ATTEMPTS_LIMIT = 10;

export function resolveHttpOptions(platform: string, options: HttpProviderOptions, defaults: { timeoutMs: number; maxAttempts: number }): ResolvedHttpOptions {
  const timeoutMs = options.timeoutMs ?? defaults.timeoutMs;
  const maxAttempts = options.maxAttempts ?? defaults.maxAttempts;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new TypeError(`${platform}: timeoutMs must be an integer between 1 and 600000`);
  }
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
    throw new TypeError(`${platform}: maxAttempts must be an integer between 1 and ${MAX_ATTEMPTS_LIMIT}`);
  }
  return {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs,
    maxAttempts,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
    now: options.now ?? Date.now,
  };
}

export interface PlatformResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One bounded HTTP request to a platform token source. Network failures,
 * timeouts, redirects and oversized bodies become {@link IdentityTokenError}s
 * with `statusCode: null` (redirect: its status); the request's own secrets
 * (bearer tokens, assertions) are never part of the message.
 */
export async function platformRequest(platform: string, url: URL, init: RequestInit, http: ResolvedHttpOptions): Promise<PlatformResponse> {
  let response: Response;
  try {
    response = await http.fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(http.timeoutMs) });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const reason = timedOut ? `timed out after ${http.timeoutMs} ms` : `network error (${networkErrorCode(err)})`;
    throw new IdentityTokenError(`request to ${url.host} ${reason}`, { platform, cause: err });
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    throw new IdentityTokenError(`${url.host} answered with a redirect (HTTP ${response.status}), which is not followed`, {
      platform,
      statusCode: response.status,
    });
  }
  try {
    return { status: response.status, headers: response.headers, text: await readBodyText(response, MAX_PLATFORM_RESPONSE_BYTES) };
  } catch (err) {
    const reason = err instanceof BodyTooLargeError ? err.message : 'response body could not be read';
    throw new IdentityTokenError(`${url.host}: ${reason}`, { platform, statusCode: response.status });
  }
}

function networkErrorCode(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : 'connection failed';
}

/** Reads a JSON object body or returns `null`. */
export function jsonObject(text: string): Record<string, unknown> | null {
  const parsed = parseJsonOrText(text);
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
}

/**
 * Builds the error for a non-success platform response. Only short,
 * non-secret descriptive fields are quoted; token responses are never echoed.
 */
export function platformHttpError(
  platform: string,
  response: PlatformResponse,
  extracted: { errorCode?: string | null; description?: string | null } = {},
): IdentityTokenError {
  const code = extracted.errorCode ?? null;
  const description = extracted.description ? `: ${truncateText(firstLine(extracted.description), 300)}` : '';
  const codeText = code === null ? '' : ` (${code})`;
  return new IdentityTokenError(`HTTP ${response.status}${codeText}${description}`, {
    platform,
    statusCode: response.status,
    errorCode: code,
  });
}

function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? '';
}

/** Common `{error, error_description}` / `{error:{code,message}}` / `{message}` error bodies. */
export function describeOAuthStyleError(text: string): { errorCode: string | null; description: string | null } {
  const body = jsonObject(text);
  if (body === null) return { errorCode: null, description: null };
  const error = body.error;
  if (typeof error === 'string') {
    return { errorCode: error, description: typeof body.error_description === 'string' ? body.error_description : null };
  }
  if (error !== null && typeof error === 'object') {
    const nested = error as Record<string, unknown>;
    return {
      errorCode: typeof nested.code === 'string' ? nested.code : null,
      description: typeof nested.message === 'string' ? nested.message : null,
    };
  }
  return { errorCode: null, description: typeof body.message === 'string' ? body.message : null };
}
