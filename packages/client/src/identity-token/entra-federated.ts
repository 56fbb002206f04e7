import { IdentityTokenError } from '../errors.ts';
import { readEnv, type Env } from '../lib/env.ts';
import { jsonObject, platformHttpError, platformRequest, resolveHttpOptions, type HttpProviderOptions, type PlatformResponse } from '../lib/platform-http.ts';
import { backoffDelayMs, retryAfterMs, withRetries, type AttemptOutcome } from '../lib/retry.ts';
import { requireSecureBaseURL } from '../lib/secure-url.ts';
import { fileToken, type IdentityTokenSource } from './file.ts';

const PLATFORM = 'entra-federated';
const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/;
const RETRY_AFTER_CAP_MS = 30_000;

export interface EntraFederatedOptions extends HttpProviderOptions {
  /** Default `AZURE_TENANT_ID`. */
  tenantId?: string;
  /** App or user-assigned identity client ID; default `AZURE_CLIENT_ID`. */
  clientId?: string;
  /** Exactly one resource, e.g. `api://<APP_ID>/.default`. */
  scope: string;
  /** Projected Kubernetes token; default `AZURE_FEDERATED_TOKEN_FILE`. Re-read on every call. */
  tokenFile?: string;
  /** Default `AZURE_AUTHORITY_HOST`, else `https://login.microsoftonline.com`. https only (loopback excepted). */
  authorityHost?: string;
  env?: Env;
}

/**
 * AKS Entra Workload ID, first hop (platforms.md §3): presents the projected
 * service-account token as a client assertion to Entra's v2.0 token endpoint
 * and returns the Entra access token, which is then the identity token for
 * the Anthropic exchange. Not cached: each call re-reads the file and asks
 * Entra, so the exchange always sees a fresh token. 429/5xx/network failures
 * are retried; AADSTS denials are not, and their code is in `errorCode`.
 */
export function entraFederated(options: EntraFederatedOptions): IdentityTokenSource {
  const env = options.env ?? process.env;
  const tenantId = options.tenantId ?? readEnv(env, 'AZURE_TENANT_ID');
  const clientId = options.clientId ?? readEnv(env, 'AZURE_CLIENT_ID');
  const tokenFile = options.tokenFile ?? readEnv(env, 'AZURE_FEDERATED_TOKEN_FILE');
  if (tenantId === undefined || !TENANT_PATTERN.test(tenantId)) {
    throw new TypeError(`${PLATFORM}: tenantId (or AZURE_TENANT_ID) must be a tenant GUID or domain`);
  }
  if (clientId === undefined || clientId.trim() === '') throw new TypeError(`${PLATFORM}: clientId (or AZURE_CLIENT_ID) is required`);
  if (tokenFile === undefined) throw new TypeError(`${PLATFORM}: tokenFile (or AZURE_FEDERATED_TOKEN_FILE) is required`);
  if (typeof options.scope !== 'string' || options.scope.trim() === '' || /\s/.test(options.scope.trim())) {
    throw new TypeError(`${PLATFORM}: scope must be a single resource scope such as api://<APP_ID>/.default`);
  }
  const authority = options.authorityHost ?? readEnv(env, 'AZURE_AUTHORITY_HOST') ?? DEFAULT_AUTHORITY_HOST;
  const tokenUrl = requireSecureBaseURL(authority, `${PLATFORM}: authorityHost`);
  // AZURE_AUTHORITY_HOST carries a trailing slash; normalise before joining.
  tokenUrl.pathname = `${tokenUrl.pathname.replace(/\/+$/, '')}/${tenantId}/oauth2/v2.0/token`;
  const readAssertion = fileToken(tokenFile, { platform: PLATFORM });
  const http = resolveHttpOptions(PLATFORM, options, { timeoutMs: 10_000, maxAttempts: 3 });
  const scope = options.scope.trim();

  return async () => {
    const assertion = await readAssertion();
    const form = new URLSearchParams({
      client_id: clientId.trim(),
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    });
    const attempt = async (index: number): Promise<AttemptOutcome<string>> => {
      let response: PlatformResponse;
      try {
        response = await platformRequest(
          PLATFORM,
          tokenUrl,
          { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form },
          http,
        );
      } catch (err) {
        const retryable = err instanceof IdentityTokenError && err.statusCode === null;
        return { ok: false, error: err as Error, retryDelayMs: retryable ? backoff(index) : null };
      }
      if (response.status === 200) return { ok: true, value: accessToken(response) };
      const error = platformHttpError(PLATFORM, response, describeEntraError(response.text));
      const retryable = response.status === 429 || response.status >= 500;
      const delay = retryable ? (retryAfterMs(response.headers.get('retry-after'), http.now(), RETRY_AFTER_CAP_MS) ?? backoff(index)) : null;
      return { ok: false, error, retryDelayMs: delay };
    };
    return withRetries(attempt, { maxAttempts: http.maxAttempts, sleep: http.sleep });
  };

  function backoff(index: number): number {
    return backoffDelayMs(index, { baseMs: 1000, capMs: 8000, random: http.random });
  }
}

function accessToken(response: PlatformResponse): string {
  const token = jsonObject(response.text)?.access_token;
  if (typeof token !== 'string' || token.trim() === '') {
    throw new IdentityTokenError('Entra token response has no access_token', { platform: PLATFORM, statusCode: response.status });
  }
  return token.trim();
}

/** Entra errors: `error` + `error_description` ("AADSTS700213: …") + `error_codes: [700213]`. */
export function describeEntraError(text: string): { errorCode: string | null; description: string | null } {
  const body = jsonObject(text);
  if (body === null) return { errorCode: null, description: null };
  const description = typeof body.error_description === 'string' ? body.error_description : null;
  const codes = Array.isArray(body.error_codes) ? body.error_codes : [];
  const first = codes[0];
  const fromCodes = typeof first === 'number' && Number.isInteger(first) ? `AADSTS${first}` : null;
  const fromText = description?.match(/^AADSTS\d+/)?.[0] ?? null;
  const aadsts = fromCodes ?? fromText;
  const oauthError = typeof body.error === 'string' ? body.error : null;
  const errorCode = aadsts ?? oauthError;
  const prefix = aadsts !== null && oauthError !== null ? `${oauthError}; ` : '';
  return { errorCode, description: description === null ? oauthError : `${prefix}${description}` };
}
