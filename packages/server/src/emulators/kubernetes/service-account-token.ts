/**
 * Claims of a Kubernetes projected service-account token (TokenRequest API): `aud` is always
 * an array, `sub` is `system:serviceaccount:<ns>:<sa>`, the binding lives under the nested
 * `kubernetes.io` claim, and the header carries only `alg` + `kid` (no `typ`).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { SigningKey } from '../shared/signing-keys.ts';

export interface ProjectedTokenOptions {
  namespace: string;
  serviceAccount: string;
  audiences: readonly string[];
  /** Default 3600; the API server refuses less than 600. */
  expirationSeconds?: number;
  serviceAccountUid?: string;
  pod?: { name: string; uid?: string };
  node?: { name: string; uid?: string };
}

export const MIN_EXPIRATION_SECONDS = 600;
const DEFAULT_EXPIRATION_SECONDS = 3600;
const MAX_AUDIENCES = 10;
const MAX_AUDIENCE_LENGTH = 600;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class InvalidTokenRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenRequestError';
  }
}

/** Checks a request the way the API server would and returns its expiration in seconds. */
export function validateTokenRequest(options: ProjectedTokenOptions, maxExpirationSeconds: number): number {
  if (!DNS_LABEL.test(options.namespace)) throw new InvalidTokenRequestError('namespace must be a DNS-1123 label');
  if (!DNS_SUBDOMAIN.test(options.serviceAccount)) throw new InvalidTokenRequestError('serviceAccount must be a DNS-1123 subdomain');
  for (const part of [options.pod, options.node]) {
    if (part !== undefined && !DNS_SUBDOMAIN.test(part.name)) throw new InvalidTokenRequestError('pod and node names must be DNS-1123 subdomains');
  }
  if (options.audiences.length === 0 || options.audiences.length > MAX_AUDIENCES) {
    throw new InvalidTokenRequestError(`audiences must hold 1 to ${MAX_AUDIENCES} values`);
  }
  if (options.audiences.some((audience) => audience.length === 0 || audience.length > MAX_AUDIENCE_LENGTH)) {
    throw new InvalidTokenRequestError(`each audience must be 1 to ${MAX_AUDIENCE_LENGTH} characters`);
  }
  const expirationSeconds = options.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS || expirationSeconds > maxExpirationSeconds) {
    throw new InvalidTokenRequestError(`expirationSeconds must be an integer between ${MIN_EXPIRATION_SECONDS} and ${maxExpirationSeconds}`);
  }
  return expirationSeconds;
}

export interface ServiceAccountTokenInput {
  issuer: string;
  key: SigningKey;
  now: Date;
  expirationSeconds: number;
  options: ProjectedTokenOptions;
  /** Stable UIDs for objects the caller named without one. */
  uidFor(kind: 'serviceaccount' | 'pod' | 'node', name: string): string;
}

export async function signServiceAccountToken(input: ServiceAccountTokenInput): Promise<{ token: string; claims: JWTPayload }> {
  const { options } = input;
  const issuedAt = Math.floor(input.now.getTime() / 1000);
  const binding = (kind: 'pod' | 'node', part: { name: string; uid?: string } | undefined) =>
    part ? { [kind]: { name: part.name, uid: part.uid ?? input.uidFor(kind, `${options.namespace}/${part.name}`) } } : {};
  const claims: JWTPayload = {
    aud: [...options.audiences],
    exp: issuedAt + input.expirationSeconds,
    iat: issuedAt,
    iss: input.issuer,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: options.namespace,
      ...binding('node', options.node),
      ...binding('pod', options.pod),
      serviceaccount: {
        name: options.serviceAccount,
        uid: options.serviceAccountUid ?? input.uidFor('serviceaccount', `${options.namespace}/${options.serviceAccount}`),
      },
    },
    nbf: issuedAt,
    sub: `system:serviceaccount:${options.namespace}:${options.serviceAccount}`,
  };
  const token = await new SignJWT(claims).setProtectedHeader({ alg: input.key.alg, kid: input.key.kid }).sign(input.key.privateKey);
  return { token, claims };
}
