/** A tenant with one federated app, one v1 and one v2 resource, and a Kubernetes issuer it trusts. */
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyResult } from 'jose';
import { EntraEmulator, type EntraEmulatorOptions } from '../../src/emulators/entra/entra-emulator.ts';
import { KubernetesIssuer } from '../../src/emulators/kubernetes/kubernetes-issuer.ts';
import { fetchTrusting, type TrustingFetch } from '../helpers/tls.ts';

export interface EntraFixture {
  entra: EntraEmulator;
  cluster: KubernetesIssuer;
  fetch: TrustingFetch;
  clientId: string;
  objectId: string;
  v1Resource: { appId: string; uri: string };
  v2Resource: { appId: string; uri: string };
  /** Mutable clock shared by both emulators. */
  clock: { now: Date };
  assertion(overrides?: { namespace?: string; serviceAccount?: string; audiences?: string[] }): Promise<string>;
  postToken(fields: Record<string, string>, options?: { tenant?: string; path?: string; headers?: Record<string, string> }): Promise<Response>;
  verify(token: string, version: '1.0' | '2.0'): Promise<JWTVerifyResult>;
  close(): Promise<void>;
}

export async function startEntraFixture(options: Partial<EntraEmulatorOptions> = {}): Promise<EntraFixture> {
  const clock = { now: new Date() };
  const now = () => clock.now;
  const cluster = await KubernetesIssuer.start({ now, issuerPath: `/${randomUUID()}/${randomUUID()}/` });
  const clientId = randomUUID();
  const objectId = randomUUID();
  const v1Resource = { appId: randomUUID(), uri: 'api://openwif-v1' };
  const v2Resource = { appId: randomUUID(), uri: 'api://openwif-v2' };
  const entra = await EntraEmulator.start({
    now,
    applications: [
      {
        clientId,
        objectId,
        federatedCredentials: [{ issuer: cluster.issuer, subject: 'system:serviceaccount:prod:worker' }],
        appRoles: { [v2Resource.appId]: ['Token.Exchange'] },
      },
    ],
    resources: [
      { appId: v1Resource.appId, identifierUris: [v1Resource.uri] },
      { appId: v2Resource.appId, identifierUris: [v2Resource.uri], accessTokenAcceptedVersion: 2 },
    ],
    ...options,
  });
  const trusting = fetchTrusting(entra.caCertificate ?? '');
  return {
    entra,
    cluster,
    fetch: trusting,
    clientId,
    objectId,
    v1Resource,
    v2Resource,
    clock,
    assertion: (overrides = {}) =>
      cluster.mintToken({
        namespace: overrides.namespace ?? 'prod',
        serviceAccount: overrides.serviceAccount ?? 'worker',
        audiences: overrides.audiences ?? ['api://AzureADTokenExchange'],
      }),
    postToken: (fields, requestOptions = {}) =>
      trusting(`${entra.baseUrl}/${requestOptions.tenant ?? entra.tenantId}/${requestOptions.path ?? 'oauth2/v2.0/token'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...requestOptions.headers },
        body: new URLSearchParams(fields).toString(),
      }),
    verify: async (token, version) => {
      const jwksUri = version === '2.0' ? `${entra.baseUrl}/${entra.tenantId}/discovery/v2.0/keys` : `${entra.baseUrl}/${entra.tenantId}/discovery/keys`;
      const jwks = createRemoteJWKSet(new URL(jwksUri), { [customFetch]: trusting, cooldownDuration: 0 });
      return jwtVerify(token, jwks, { issuer: entra.issuer(version), algorithms: ['RS256'], currentDate: clock.now });
    },
    close: async () => {
      await trusting.close();
      await entra.close();
      await cluster.close();
    },
  };
}

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
