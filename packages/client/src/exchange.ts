import { IdentityTokenError, WorkloadIdentityError } from './errors.ts';
import { BodyTooLargeError, readBodyText } from './lib/read-body.ts';
import { parseJsonOrText, redactErrorBody, truncateText } from './lib/redact.ts';
import { backoffDelayMs, retryAfterMs, withRetries, type AttemptOutcome, type Sleep } from './lib/retry.ts';

export type IdentityTokenProvider = () => string | Promise<string>;

/** Shape of the official SDK's `AccessToken`: `expiresAt` is Unix epoch seconds, `null` = never expires. */
export interface AccessToken {
  token: string;
  expiresAt: number | null;
}

export const GRANT_TYPE_JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const TOKEN_ENDPOINT_PATH = '/v1/oauth/token';
export const EXCHANGE_BETA_HEADER = 'oauth-2025-04-20,oidc-federation-2026-04-01';
export const MAX_ASSERTION_BYTES = 16 * 1024;
export const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;

export interface ExchangeSettings {
  identityTokenProvider: IdentityTokenProvider;
  federationRuleId: string;
  organizationId: string;
  serviceAccountId: string | undefined;
  workspaceId: string | undefined;
  /** Already validated (https or loopback http), without a trailing slash. */
  tokenEndpoint: URL;
  fetch: typeof fetch;
  now: () => number;
  userAgent: string;
  timeoutMs: number;
  maxAttempts: number;
  sleep: Sleep;
  random: () => number;
}

const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 8000;

/**
 * Exchanges a fresh identity token for an access token, retrying network
 * failures, 408, 429 and 5xx with jittered exponential backoff. Denials (other
 * 4xx) and identity-token failures are final. Each attempt asks the identity
 * token provider again, so a retried request never replays an assertion whose
 * `jti` the server may already have consumed.
 */
export function exchangeWithRetries(settings: ExchangeSettings): Promise<AccessToken> {
  return withRetries((attempt) => exchangeOnce(settings, attempt), {
    maxAttempts: settings.maxAttempts,
    sleep: settings.sleep,
  });
}

async function exchangeOnce(settings: ExchangeSettings, attempt: number): Promise<AttemptOutcome<AccessToken>> {
  const assertion = await obtainAssertion(settings.identityTokenProvider);
  const backoff = () => backoffDelayMs(attempt, { baseMs: RETRY_BASE_MS, capMs: RETRY_CAP_MS, random: settings.random });
  let response: Response;
  try {
    response = await settings.fetch(settings.tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'anthropic-beta': EXCHANGE_BETA_HEADER,
        'user-agent': settings.userAgent,
      },
      body: JSON.stringify(requestBody(settings, assertion)),
      redirect: 'manual',
      signal: AbortSignal.timeout(settings.timeoutMs),
    });
  } catch (err) {
    const reason = isTimeout(err) ? `timed out after ${settings.timeoutMs} ms` : 'network error';
    return {
      ok: false,
      error: new WorkloadIdentityError(`token exchange failed: ${reason}`, null, null, null, { cause: err }),
      retryDelayMs: backoff(),
    };
  }
  const requestId = response.headers.get('request-id');
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    const error = new WorkloadIdentityError(
      `token exchange failed: HTTP ${response.status} redirect refused (the token endpoint must not redirect)`,
      response.status,
      null,
      requestId,
    );
    return { ok: false, error, retryDelayMs: null };
  }
  if (!response.ok) {
    const error = await exchangeFailure(response, requestId, settings.workspaceId);
    return { ok: false, error, retryDelayMs: retryDelayForStatus(response, settings, backoff) };
  }
  return { ok: true, value: await parseSuccess(response, requestId, settings.now) };
}

async function obtainAssertion(provider: IdentityTokenProvider): Promise<string> {
  let value: unknown;
  try {
    value = await provider();
  } catch (err) {
    if (err instanceof IdentityTokenError) throw err;
    const detail = err instanceof Error ? truncateText(err.message, 300) : 'non-Error thrown';
    throw new IdentityTokenError(`identity token provider failed: ${detail}`, { platform: 'custom', cause: err });
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new IdentityTokenError('identity token provider returned an empty or non-string token', { platform: 'custom' });
  }
  const assertion = value.trim();
  const size = Buffer.byteLength(assertion, 'utf8');
  if (size > MAX_ASSERTION_BYTES) {
    throw new IdentityTokenError(`identity token is ${size} bytes; the token endpoint accepts at most ${MAX_ASSERTION_BYTES}`, {
      platform: 'custom',
    });
  }
  return assertion;
}

function requestBody(settings: ExchangeSettings, assertion: string): Record<string, string> {
  const body: Record<string, string> = {
    grant_type: GRANT_TYPE_JWT_BEARER,
    assertion,
    federation_rule_id: settings.federationRuleId,
    organization_id: settings.organizationId,
  };
  if (settings.serviceAccountId !== undefined) body.service_account_id = settings.serviceAccountId;
  if (settings.workspaceId !== undefined) body.workspace_id = settings.workspaceId;
  return body;
}

function retryDelayForStatus(response: Response, settings: ExchangeSettings, backoff: () => number): number | null {
  const status = response.status;
  if (status !== 408 && status !== 429 && status < 500) return null;
  const hinted = retryAfterMs(response.headers.get('retry-after'), settings.now(), RETRY_CAP_MS);
  return hinted ?? backoff();
}

async function exchangeFailure(response: Response, requestId: string | null, workspaceId: string | undefined): Promise<WorkloadIdentityError> {
  let body: unknown = null;
  try {
    body = redactErrorBody(parseJsonOrText(await readBodyText(response, MAX_TOKEN_RESPONSE_BYTES)));
  } catch {
    // An unreadable or oversized error body must not hide the status code.
  }
  const summary = body === null ? '' : `: ${truncateText(JSON.stringify(body), 500)}`;
  const hint = response.status === 401 ? unauthorizedHint(workspaceId) : '';
  const where = requestId === null ? '' : ` (request-id ${requestId})`;
  return new WorkloadIdentityError(`token exchange failed with HTTP ${response.status}${where}${summary}${hint}`, response.status, body, requestId);
}

function unauthorizedHint(workspaceId: string | undefined): string {
  const base =
    ' — the identity token did not satisfy the federation rule; check the rule (issuer, audience, subject, claims)' +
    ' and the authentication events for the rule';
  if (workspaceId !== undefined) return base;
  return `${base}; if the rule spans several workspaces, set workspaceId (ANTHROPIC_WORKSPACE_ID)`;
}

async function parseSuccess(response: Response, requestId: string | null, now: () => number): Promise<AccessToken> {
  const invalid = (why: string, cause?: unknown) =>
    new WorkloadIdentityError(`token endpoint returned an unusable response: ${why}`, response.status, null, requestId, {
      cause,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readBodyText(response, MAX_TOKEN_RESPONSE_BYTES));
  } catch (err) {
    // The cause is dropped when it could echo the body (which holds a token).
    throw invalid(err instanceof BodyTooLargeError ? err.message : 'body is not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid('body is not a JSON object');
  const fields = parsed as Record<string, unknown>;
  if (typeof fields.access_token !== 'string' || fields.access_token === '') throw invalid('access_token missing');
  if (typeof fields.expires_in !== 'number' || !Number.isFinite(fields.expires_in)) {
    throw invalid('expires_in missing or not a finite number');
  }
  if (fields.token_type !== undefined && (typeof fields.token_type !== 'string' || fields.token_type.toLowerCase() !== 'bearer')) {
    throw invalid('token_type is not Bearer');
  }
  return { token: fields.access_token, expiresAt: Math.floor(now() / 1000) + fields.expires_in };
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}
