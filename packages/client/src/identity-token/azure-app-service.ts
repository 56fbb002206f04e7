import { readEnv, type Env } from '../lib/env.ts';
import { resolveHttpOptions, type HttpProviderOptions } from '../lib/platform-http.ts';
import { MANAGED_IDENTITY_HTTP_DEFAULTS, managedIdentitySource, singleSelector } from './azure-managed-identity.ts';
import type { IdentityTokenSource } from './file.ts';

const PLATFORM = 'azure-app-service';

export interface AzureAppServiceOptions extends HttpProviderOptions {
  /** App ID URI or app ID of the audience app; becomes the token's `aud`. */
  resource: string;
  clientId?: string;
  principalId?: string;
  miResId?: string;
  /** Default `IDENTITY_ENDPOINT`. */
  endpoint?: string;
  /** The rotating secret sent as `X-IDENTITY-HEADER`; default `IDENTITY_HEADER`. */
  identityHeader?: string;
  env?: Env;
}

/**
 * App Service / Functions / Container Apps managed identity, protocol
 * 2019-08-01 (platforms.md §2.1). Same retry and caching behaviour as IMDS.
 */
export function azureAppService(options: AzureAppServiceOptions): IdentityTokenSource {
  const env = options.env ?? process.env;
  if (typeof options.resource !== 'string' || options.resource.trim() === '') {
    throw new TypeError(`${PLATFORM}: resource must be a non-empty string`);
  }
  const endpoint = options.endpoint ?? readEnv(env, 'IDENTITY_ENDPOINT');
  const identityHeader = options.identityHeader ?? readEnv(env, 'IDENTITY_HEADER');
  if (endpoint === undefined) throw new TypeError(`${PLATFORM}: endpoint is required (or set IDENTITY_ENDPOINT)`);
  if (identityHeader === undefined || identityHeader === '') {
    throw new TypeError(`${PLATFORM}: identityHeader is required (or set IDENTITY_HEADER)`);
  }
  const selector = singleSelector(PLATFORM, {
    client_id: options.clientId,
    principal_id: options.principalId,
    mi_res_id: options.miResId,
  });
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`${PLATFORM}: endpoint is not a valid URL`);
  }
  url.searchParams.set('api-version', '2019-08-01');
  url.searchParams.set('resource', options.resource.trim());
  if (selector !== null) url.searchParams.set(selector[0], selector[1].trim());
  const http = resolveHttpOptions(PLATFORM, options, MANAGED_IDENTITY_HTTP_DEFAULTS);
  return managedIdentitySource({ platform: PLATFORM, url, headers: { 'X-IDENTITY-HEADER': identityHeader } }, http);
}
