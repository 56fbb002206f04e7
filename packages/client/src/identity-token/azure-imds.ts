import { readEnv, type Env } from '../lib/env.ts';
import { resolveHttpOptions, type HttpProviderOptions } from '../lib/platform-http.ts';
import { MANAGED_IDENTITY_HTTP_DEFAULTS, managedIdentitySource, singleSelector } from './azure-managed-identity.ts';
import type { IdentityTokenSource } from './file.ts';

export const AZURE_IMDS_TOKEN_URL = 'http://169.254.169.254/metadata/identity/oauth2/token';
const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token';
const PLATFORM = 'azure-imds';

export interface AzureImdsOptions extends HttpProviderOptions {
  /** App ID URI or app ID of the audience app (e.g. `api://<APP_ID>`); becomes the token's `aud`. */
  resource: string;
  /** Select a user-assigned identity by client ID (at most one selector). */
  clientId?: string;
  objectId?: string;
  msiResId?: string;
  /**
   * Full token URL. Default: `$AZURE_POD_IDENTITY_AUTHORITY_HOST` + the IMDS path
   * when set (how unmodified Azure clients are pointed at an emulator), else IMDS.
   */
  endpoint?: string;
  env?: Env;
}

/**
 * Azure VM / VMSS managed identity via the Instance Metadata Service
 * (platforms.md §1). `maxAttempts` (default 4) bounds retries of 408/429/5xx
 * and network failures; a 410 always gets ~70 s. The token is cached until
 * 5 minutes before `expires_on`.
 */
export function azureImds(options: AzureImdsOptions): IdentityTokenSource {
  if (typeof options.resource !== 'string' || options.resource.trim() === '') {
    throw new TypeError(`${PLATFORM}: resource must be a non-empty string`);
  }
  const selector = singleSelector(PLATFORM, {
    client_id: options.clientId,
    object_id: options.objectId,
    msi_res_id: options.msiResId,
  });
  const url = imdsUrl(options);
  url.searchParams.set('api-version', '2018-02-01');
  url.searchParams.set('resource', options.resource.trim());
  if (selector !== null) url.searchParams.set(selector[0], selector[1].trim());
  const http = resolveHttpOptions(PLATFORM, options, MANAGED_IDENTITY_HTTP_DEFAULTS);
  return managedIdentitySource({ platform: PLATFORM, url, headers: { Metadata: 'true' } }, http);
}

function imdsUrl(options: AzureImdsOptions): URL {
  const podIdentityHost = readEnv(options.env ?? process.env, 'AZURE_POD_IDENTITY_AUTHORITY_HOST');
  const raw = options.endpoint ?? (podIdentityHost === undefined ? AZURE_IMDS_TOKEN_URL : `${podIdentityHost.replace(/\/+$/, '')}${IMDS_TOKEN_PATH}`);
  try {
    return new URL(raw);
  } catch {
    throw new TypeError(`${PLATFORM}: endpoint is not a valid URL`);
  }
}
