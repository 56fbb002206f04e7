/**
 * `POST /{tenant}/oauth2/v2.0/token` (and the v1 `/oauth2/token`) for the client-credentials
 * grant with a federated client assertion, as a list of checks in Entra's order. Each failed
 * check throws the AADSTS error Entra answers with.
 */
import type { JWTPayload } from 'jose';
import { AadstsError } from './aadsts-error.ts';
import type { IssuedAccessToken } from './access-token.ts';
import type { EntraApplication, EntraDirectory, EntraResource } from './directory.ts';

export type TokenEndpointVersion = 'v1' | 'v2';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** OIDC scopes MSAL may add to any request; Entra ignores them for the client-credentials grant. */
const IGNORED_SCOPES = new Set(['openid', 'profile', 'offline_access']);

export interface TokenEndpointDeps {
  directory: EntraDirectory;
  validateAssertion(assertion: string, app: EntraApplication): Promise<JWTPayload>;
  mint(app: EntraApplication, resource: EntraResource, requestedResource: string): Promise<IssuedAccessToken>;
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null || value === '') {
    throw new AadstsError(900144, `The request body must contain the following parameter: '${name}'.`);
  }
  return value;
}

/** v2: exactly one `<resource>/.default` scope. v1: a bare `resource` parameter. */
function requestedResource(form: URLSearchParams, endpoint: TokenEndpointVersion): string {
  if (endpoint === 'v1') return required(form, 'resource');
  const scopes = required(form, 'scope')
    .split(/\s+/)
    .filter((scope) => scope !== '' && !IGNORED_SCOPES.has(scope));
  const [scope, ...others] = scopes;
  if (scope === undefined || others.length > 0 || !scope.endsWith('/.default') || scope === '/.default') {
    throw new AadstsError(
      70011,
      'The provided request must include a single scope input parameter of the form <resource>/.default for the client credentials flow.',
    );
  }
  return scope.slice(0, -'/.default'.length);
}

export async function exchangeClientCredentials(form: URLSearchParams, endpoint: TokenEndpointVersion, deps: TokenEndpointDeps): Promise<IssuedAccessToken> {
  const grantType = required(form, 'grant_type');
  if (grantType !== 'client_credentials') {
    throw new AadstsError(70003, `The app requested an unsupported grant type '${grantType.slice(0, 100)}'.`);
  }
  const clientId = required(form, 'client_id');
  const app = deps.directory.application(clientId);
  if (!app) {
    throw new AadstsError(700016, `Application with identifier '${clientId.slice(0, 100)}' was not found in the directory.`);
  }
  const resourceName = requestedResource(form, endpoint);
  const resource = deps.directory.resource(resourceName);
  if (!resource) {
    throw new AadstsError(500011, `The resource principal named ${resourceName.slice(0, 600)} was not found in the tenant.`);
  }
  const assertion = form.get('client_assertion');
  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE || !assertion) {
    throw new AadstsError(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  await deps.validateAssertion(assertion.trim(), app);
  return deps.mint(app, resource, resourceName);
}

/** v2 answers numbers; the v1 endpoint answers every field as a string, plus `resource`. */
export function tokenResponseBody(issued: IssuedAccessToken, endpoint: TokenEndpointVersion, now: Date): Record<string, unknown> {
  const expiresIn = Math.max(0, issued.expiresOn - Math.floor(now.getTime() / 1000));
  if (endpoint === 'v2') {
    return { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: issued.accessToken };
  }
  return {
    token_type: 'Bearer',
    expires_in: String(expiresIn),
    ext_expires_in: String(expiresIn),
    expires_on: String(issued.expiresOn),
    not_before: String(issued.notBefore),
    resource: issued.resource,
    access_token: issued.accessToken,
  };
}
