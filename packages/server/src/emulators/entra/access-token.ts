/**
 * Mints Entra app-only access tokens in the v1.0 or v2.0 layout. The resource decides the
 * version (`accessTokenAcceptedVersion`), not the endpoint that was called.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { SigningKey } from '../shared/signing-keys.ts';
import type { EntraApplication, EntraResource } from './directory.ts';

export type AccessTokenVersion = '1.0' | '2.0';

export interface IssuedAccessToken {
  accessToken: string;
  version: AccessTokenVersion;
  /** Epoch seconds, equal to the JWT's `iat`, `nbf` and `exp`. */
  issuedAt: number;
  notBefore: number;
  expiresOn: number;
  lifetimeSeconds: number;
  /** The resource as requested (becomes a v1 token's `aud`). */
  resource: string;
  clientId: string;
  objectId: string;
  claims: JWTPayload;
}

export interface MintAccessTokenInput {
  key: SigningKey;
  tenantId: string;
  issuer: Record<AccessTokenVersion, string>;
  app: EntraApplication;
  resource: EntraResource;
  requestedResource: string;
  lifetimeSeconds: number;
  now: Date;
}

function opaque(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export function tokenVersionFor(resource: EntraResource): AccessTokenVersion {
  return resource.accessTokenAcceptedVersion === 2 ? '2.0' : '1.0';
}

export async function mintAccessToken(input: MintAccessTokenInput): Promise<IssuedAccessToken> {
  const version = tokenVersionFor(input.resource);
  const issuedAt = Math.floor(input.now.getTime() / 1000);
  const expiresOn = issuedAt + input.lifetimeSeconds;
  const issuer = input.issuer[version];
  const roles = input.app.appRoles?.[input.resource.appId];
  // App-only tokens: `sub` equals the service principal object ID and `*acr` is "2"
  // (certificate / federated assertion, which is how managed identities authenticate too).
  const claims: JWTPayload = {
    aud: version === '2.0' ? input.resource.appId : input.requestedResource,
    iss: issuer,
    iat: issuedAt,
    nbf: issuedAt,
    exp: expiresOn,
    aio: opaque(48),
    ...(version === '2.0' ? { azp: input.app.clientId, azpacr: '2' } : { appid: input.app.clientId, appidacr: '2', idp: issuer }),
    idtyp: 'app',
    oid: input.app.objectId,
    rh: `0.${opaque(40)}.`,
    ...(roles && roles.length > 0 ? { roles: [...roles] } : {}),
    sub: input.app.objectId,
    tid: input.tenantId,
    uti: opaque(16),
    ver: version,
    ...(input.app.managedIdentityResourceId ? { xms_mirid: input.app.managedIdentityResourceId } : {}),
  };
  const header =
    version === '1.0'
      ? { typ: 'JWT', alg: input.key.alg, x5t: input.key.x5t ?? input.key.kid, kid: input.key.kid }
      : { typ: 'JWT', alg: input.key.alg, kid: input.key.kid };
  const accessToken = await new SignJWT(claims).setProtectedHeader(header).sign(input.key.privateKey);
  return {
    accessToken,
    version,
    issuedAt,
    notBefore: issuedAt,
    expiresOn,
    lifetimeSeconds: input.lifetimeSeconds,
    resource: input.requestedResource,
    clientId: input.app.clientId,
    objectId: input.app.objectId,
    claims,
  };
}
