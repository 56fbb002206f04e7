import { exchangeWithRetries, TOKEN_ENDPOINT_PATH, type AccessToken, type IdentityTokenProvider } from './exchange.ts';
import { fileToken, staticToken } from './identity-token/file.ts';
import { readEnv, type Env } from './lib/env.ts';
import { defaultSleep, type Sleep } from './lib/retry.ts';
import { requireSecureBaseURL } from './lib/secure-url.ts';
import { TokenCache } from './token-cache.ts';

export const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const DEFAULT_USER_AGENT = 'openwif-client/0.1.0';
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 3;
const MAX_ATTEMPTS_LIMIT = 10;

export interface WorkloadIdentityCredentialsOptions {
  /** Returns a fresh platform JWT; default: `ANTHROPIC_IDENTITY_TOKEN_FILE`, else `ANTHROPIC_IDENTITY_TOKEN`. */
  identityTokenProvider?: IdentityTokenProvider;
  /** `fdrl_…`; default `ANTHROPIC_FEDERATION_RULE_ID`. */
  federationRuleId?: string;
  /** Organization UUID; default `ANTHROPIC_ORGANIZATION_ID`. */
  organizationId?: string;
  /** `svac_…` expected target; default `ANTHROPIC_SERVICE_ACCOUNT_ID`. */
  serviceAccountId?: string;
  /** `wrkspc_…` or `default`; default `ANTHROPIC_WORKSPACE_ID`. */
  workspaceId?: string;
  /** Token endpoint host; default `ANTHROPIC_BASE_URL`, else `https://api.anthropic.com`. */
  baseURL?: string;
  fetch?: typeof fetch;
  /** Clock in epoch milliseconds. */
  now?: () => number;
  /** Environment used for the defaults above; default `process.env`. */
  env?: Env;
  userAgent?: string;
  /** Per-request timeout of the exchange; default 30 000 ms. */
  timeoutMs?: number;
  /** Attempts per exchange including the first (1–10); default 3. */
  maxAttempts?: number;
  sleep?: Sleep;
  /** Jitter source in [0, 1); default `Math.random`. */
  random?: () => number;
  /** Called when a background (advisory) refresh fails; the cached token keeps being served. */
  onBackgroundRefreshError?: (err: unknown) => void;
}

/**
 * Exchanges the workload's platform identity token for a short-lived access
 * token at `POST {baseURL}/v1/oauth/token` and caches it.
 *
 * Plug into the official SDK with `new Anthropic({ credentials: creds.provider })`;
 * `provider` is a bound {@link AccessTokenProvider}, so it can be passed around freely.
 */
export class WorkloadIdentityCredentials {
  readonly federationRuleId: string;
  readonly organizationId: string;
  readonly serviceAccountId: string | undefined;
  readonly workspaceId: string | undefined;
  /** The token endpoint this instance exchanges at. */
  readonly tokenEndpoint: string;
  readonly #cache: TokenCache;

  /** `AccessTokenProvider` for the SDK's `credentials` option. */
  readonly provider = (opts?: { forceRefresh?: boolean }): Promise<AccessToken> => this.getToken(opts);

  constructor(options: WorkloadIdentityCredentialsOptions = {}) {
    const env = options.env ?? process.env;
    this.federationRuleId = requireSetting(options.federationRuleId, env, 'federationRuleId', 'ANTHROPIC_FEDERATION_RULE_ID');
    this.organizationId = requireSetting(options.organizationId, env, 'organizationId', 'ANTHROPIC_ORGANIZATION_ID');
    this.serviceAccountId = optionalSetting(options.serviceAccountId, env, 'serviceAccountId', 'ANTHROPIC_SERVICE_ACCOUNT_ID');
    this.workspaceId = optionalSetting(options.workspaceId, env, 'workspaceId', 'ANTHROPIC_WORKSPACE_ID');
    const baseURL = optionalSetting(options.baseURL, env, 'baseURL', 'ANTHROPIC_BASE_URL') ?? DEFAULT_BASE_URL;
    const endpoint = requireSecureBaseURL(baseURL.replace(/\/+$/, ''), 'baseURL');
    endpoint.pathname = `${endpoint.pathname.replace(/\/+$/, '')}${TOKEN_ENDPOINT_PATH}`;
    this.tokenEndpoint = endpoint.href;
    const now = options.now ?? Date.now;
    const settings = {
      identityTokenProvider: options.identityTokenProvider ?? identityTokenFromEnv(env),
      federationRuleId: this.federationRuleId,
      organizationId: this.organizationId,
      serviceAccountId: this.serviceAccountId,
      workspaceId: this.workspaceId,
      tokenEndpoint: endpoint,
      fetch: options.fetch ?? globalThis.fetch,
      now,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      timeoutMs: positiveInteger(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS, 600_000),
      maxAttempts: positiveInteger(options.maxAttempts, 'maxAttempts', DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_LIMIT),
      sleep: options.sleep ?? defaultSleep,
      random: options.random ?? Math.random,
    };
    this.#cache = new TokenCache(() => exchangeWithRetries(settings), {
      now,
      onBackgroundError: options.onBackgroundRefreshError ?? (() => undefined),
    });
  }

  /** Returns a cached or freshly exchanged token; `forceRefresh` always exchanges (use after a 401). */
  getToken(opts?: { forceRefresh?: boolean }): Promise<AccessToken> {
    return this.#cache.getToken(opts);
  }

  /** Drops the cached token so the next call exchanges again. */
  invalidate(): void {
    this.#cache.invalidate();
  }
}

function identityTokenFromEnv(env: Env): IdentityTokenProvider {
  const file = readEnv(env, 'ANTHROPIC_IDENTITY_TOKEN_FILE');
  if (file !== undefined) return fileToken(file);
  const value = readEnv(env, 'ANTHROPIC_IDENTITY_TOKEN');
  if (value !== undefined) return staticToken(value);
  throw new TypeError('identityTokenProvider is required: pass one, or set ANTHROPIC_IDENTITY_TOKEN_FILE or ANTHROPIC_IDENTITY_TOKEN');
}

function requireSetting(value: string | undefined, env: Env, option: string, envName: string): string {
  const resolved = optionalSetting(value, env, option, envName);
  if (resolved === undefined) throw new TypeError(`${option} is required: pass it or set ${envName}`);
  return resolved;
}

function optionalSetting(value: string | undefined, env: Env, option: string, envName: string): string | undefined {
  if (value === undefined) return readEnv(env, envName);
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${option} must be a non-empty string`);
  return value.trim();
}

function positiveInteger(value: number | undefined, option: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new TypeError(`${option} must be an integer between 1 and ${max}`);
  }
  return value;
}
