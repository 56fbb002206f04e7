import { readEnv, type Env } from '../lib/env.ts';
import type { HttpProviderOptions } from '../lib/platform-http.ts';
import { awsWebIdentity } from './aws-web-identity.ts';
import { azureAppService } from './azure-app-service.ts';
import { azureImds } from './azure-imds.ts';
import { entraFederated } from './entra-federated.ts';
import { fileToken, staticToken, type IdentityTokenSource } from './file.ts';
import { gcpMetadata } from './gcp-metadata.ts';
import { githubActions } from './github-actions.ts';

export const DEFAULT_AUDIENCE = 'https://api.anthropic.com';

export type IdentityTokenSourceName =
  'anthropic-token-file' | 'anthropic-token' | 'entra-federated' | 'github-actions' | 'aws-web-identity' | 'azure-app-service' | 'gcp-metadata' | 'azure-imds';

export interface ResolvedIdentityTokenSource {
  source: IdentityTokenSourceName;
  provider: IdentityTokenSource;
}

export interface ResolveIdentityTokenOptions extends HttpProviderOptions {
  /** `aud` requested from GitHub Actions and the GCP metadata server; default `https://api.anthropic.com`. */
  audience?: string;
  /**
   * Entra resource of the audience app, e.g. `api://<APP_ID>` (Entra never
   * issues tokens for an arbitrary audience). Required for the Azure sources;
   * setting it also enables the IMDS fallback.
   */
  azureResource?: string;
  /** Selects a user-assigned managed identity on IMDS / App Service. */
  azureClientId?: string;
}

/**
 * Picks the identity-token source from the environment, first match wins:
 *
 * 1. `ANTHROPIC_IDENTITY_TOKEN_FILE` — explicit file (same variable as the SDK)
 * 2. `ANTHROPIC_IDENTITY_TOKEN` — explicit literal token
 * 3. `AZURE_FEDERATED_TOKEN_FILE` + `AZURE_CLIENT_ID` + `AZURE_TENANT_ID` — AKS
 *    Workload ID, two hops through Entra (scope `{azureResource}/.default`)
 * 4. `ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN` — GitHub Actions
 * 5. `AWS_WEB_IDENTITY_TOKEN_FILE` — EKS projected token file
 * 6. `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` — Azure App Service / Functions / Container Apps
 * 7. `GCE_METADATA_HOST` or `GCE_METADATA_IP` — GCP metadata server
 * 8. `AZURE_POD_IDENTITY_AUTHORITY_HOST` or an `azureResource` option — Azure IMDS
 *
 * Plain GCE and Azure VMs expose no environment marker, so (7) and (8) need
 * the variable or option; nothing else is probed over the network. When no
 * source matches, a `TypeError` lists what was checked.
 */
export function resolveIdentityTokenProvider(env: Env = process.env, options: ResolveIdentityTokenOptions = {}): ResolvedIdentityTokenSource {
  const audience = options.audience ?? DEFAULT_AUDIENCE;
  const http: HttpProviderOptions = pickHttpOptions(options);
  const has = (name: string) => readEnv(env, name) !== undefined;

  const anthropicFile = readEnv(env, 'ANTHROPIC_IDENTITY_TOKEN_FILE');
  if (anthropicFile !== undefined) return { source: 'anthropic-token-file', provider: fileToken(anthropicFile) };
  const anthropicToken = readEnv(env, 'ANTHROPIC_IDENTITY_TOKEN');
  if (anthropicToken !== undefined) return { source: 'anthropic-token', provider: staticToken(anthropicToken) };

  if (has('AZURE_FEDERATED_TOKEN_FILE') && has('AZURE_CLIENT_ID') && has('AZURE_TENANT_ID')) {
    const scope = `${requireAzureResource(options, 'entra-federated').replace(/\/+$/, '')}/.default`;
    return { source: 'entra-federated', provider: entraFederated({ ...http, scope, env }) };
  }
  if (has('ACTIONS_ID_TOKEN_REQUEST_URL') && has('ACTIONS_ID_TOKEN_REQUEST_TOKEN')) {
    return { source: 'github-actions', provider: githubActions({ ...http, audience, env }) };
  }
  if (has('AWS_WEB_IDENTITY_TOKEN_FILE')) return { source: 'aws-web-identity', provider: awsWebIdentity({ env }) };
  if (has('IDENTITY_ENDPOINT') && has('IDENTITY_HEADER')) {
    const resource = requireAzureResource(options, 'azure-app-service');
    return { source: 'azure-app-service', provider: azureAppService({ ...http, resource, clientId: options.azureClientId, env }) };
  }
  if (has('GCE_METADATA_HOST') || has('GCE_METADATA_IP')) {
    return { source: 'gcp-metadata', provider: gcpMetadata({ ...http, audience, env }) };
  }
  if (has('AZURE_POD_IDENTITY_AUTHORITY_HOST') || options.azureResource !== undefined) {
    const resource = requireAzureResource(options, 'azure-imds');
    return { source: 'azure-imds', provider: azureImds({ ...http, resource, clientId: options.azureClientId, env }) };
  }
  throw new TypeError(
    'no identity token source found: checked ANTHROPIC_IDENTITY_TOKEN_FILE, ANTHROPIC_IDENTITY_TOKEN, ' +
      'AZURE_FEDERATED_TOKEN_FILE (+AZURE_CLIENT_ID, AZURE_TENANT_ID), ACTIONS_ID_TOKEN_REQUEST_URL (+_TOKEN), ' +
      'AWS_WEB_IDENTITY_TOKEN_FILE, IDENTITY_ENDPOINT (+IDENTITY_HEADER), GCE_METADATA_HOST/GCE_METADATA_IP, ' +
      'AZURE_POD_IDENTITY_AUTHORITY_HOST and the azureResource option',
  );
}

function requireAzureResource(options: ResolveIdentityTokenOptions, source: IdentityTokenSourceName): string {
  const resource = options.azureResource?.trim();
  if (resource === undefined || resource === '') {
    throw new TypeError(`${source} detected but azureResource (e.g. api://<APP_ID>) was not given`);
  }
  return resource;
}

function pickHttpOptions(options: ResolveIdentityTokenOptions): HttpProviderOptions {
  const picked: HttpProviderOptions = {};
  if (options.fetch !== undefined) picked.fetch = options.fetch;
  if (options.timeoutMs !== undefined) picked.timeoutMs = options.timeoutMs;
  if (options.maxAttempts !== undefined) picked.maxAttempts = options.maxAttempts;
  if (options.sleep !== undefined) picked.sleep = options.sleep;
  if (options.random !== undefined) picked.random = options.random;
  if (options.now !== undefined) picked.now = options.now;
  return picked;
}
