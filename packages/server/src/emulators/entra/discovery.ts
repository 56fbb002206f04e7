/**
 * Entra's OIDC discovery documents and JWKS, rebased on the emulator's own origin.
 *
 * Real Entra serves v1 tokens with issuer `https://sts.windows.net/{tid}/`, a different host
 * from the authority. The emulator has one origin, so the v1 issuer is `{base}/{tid}/`
 * (trailing slash kept) and the v2 issuer `{base}/{tid}/v2.0`: they still differ exactly
 * where real validators look (path shape, trailing slash), and both resolve to this server.
 */
import type { JWK } from 'jose';
import type { SigningKey } from '../shared/signing-keys.ts';
import type { AccessTokenVersion } from './access-token.ts';

/** Tenant-independent aliases whose documents carry the literal `{tenantid}` placeholder. */
export const MULTI_TENANT_ALIASES = ['common', 'organizations'] as const;

export function issuerFor(baseUrl: string, tenant: string, version: AccessTokenVersion): string {
  return version === '2.0' ? `${baseUrl}/${tenant}/v2.0` : `${baseUrl}/${tenant}/`;
}

export function jwksUriFor(baseUrl: string, tenant: string, version: AccessTokenVersion): string {
  return version === '2.0' ? `${baseUrl}/${tenant}/discovery/v2.0/keys` : `${baseUrl}/${tenant}/discovery/keys`;
}

export function discoveryDocument(baseUrl: string, tenant: string, version: AccessTokenVersion): Record<string, unknown> {
  const issuerTenant = (MULTI_TENANT_ALIASES as readonly string[]).includes(tenant) ? '{tenantid}' : tenant;
  const oauth = version === '2.0' ? `${baseUrl}/${tenant}/oauth2/v2.0` : `${baseUrl}/${tenant}/oauth2`;
  const common = {
    token_endpoint: `${oauth}/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: jwksUriFor(baseUrl, tenant, version),
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'token id_token', 'token'],
    issuer: issuerFor(baseUrl, issuerTenant, version),
    request_uri_parameter_supported: false,
    authorization_endpoint: `${oauth}/authorize`,
    device_authorization_endpoint: `${oauth}/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${oauth}/logout`,
    tenant_region_scope: 'NA',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
  return version === '2.0'
    ? {
        ...common,
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
        claims_supported: [
          'sub',
          'iss',
          'cloud_instance_name',
          'cloud_instance_host_name',
          'cloud_graph_host_name',
          'msgraph_host',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'acr',
          'nonce',
          'preferred_username',
          'name',
          'tid',
          'ver',
          'at_hash',
          'c_hash',
          'email',
        ],
        kerberos_endpoint: `${baseUrl}/${tenant}/kerberos`,
      }
    : {
        ...common,
        microsoft_multi_refresh_token: true,
        check_session_iframe: `${oauth}/checksession`,
        userinfo_endpoint: `${oauth}/userinfo`,
        claims_supported: [
          'sub',
          'iss',
          'cloud_instance_name',
          'cloud_instance_host_name',
          'cloud_graph_host_name',
          'msgraph_host',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'acr',
          'amr',
          'nonce',
          'email',
          'given_name',
          'family_name',
          'nickname',
        ],
      };
}

/** Entra JWK members: `kty, use, kid, x5t, n, e, x5c, issuer` and deliberately no `alg`. */
export function entraJwks(keys: readonly SigningKey[], issuer: string): { keys: JWK[] } {
  return {
    keys: keys.map((key) => ({
      kty: key.publicJwk.kty,
      use: 'sig',
      kid: key.kid,
      ...(key.x5t ? { x5t: key.x5t } : {}),
      n: key.publicJwk.n,
      e: key.publicJwk.e,
      ...(key.x5c ? { x5c: [...key.x5c] } : {}),
      issuer,
    })),
  };
}
