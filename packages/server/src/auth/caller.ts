import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../http/errors.ts';
import type { Stores } from '../storage/ports.ts';
import { ADMIN_TOKEN_PREFIX, CONSOLE_SESSION_PREFIX, hashSecret } from '../tokens/token-hash.ts';
import { verifyAccessToken } from '../tokens/verify-bearer.ts';

/**
 * Who is calling the Admin API (spec §2.2). `console`: the bootstrap admin credential or a
 * console session, the privileged interactive caller. `workload`: a token minted by a
 * federation rule, which carries the OAuth-caller restrictions.
 */
export type Caller =
  | { kind: 'console'; organizationId: string; actorId: string }
  | { kind: 'workload'; organizationId: string; actorId: string; scopes: string[]; workspaceId: string };

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerFromAuthorization(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  return typeof header === 'string' ? (/^Bearer +(\S+)\s*$/i.exec(header)?.[1] ?? null) : null;
}

/** The Admin API also takes the credential in `x-api-key`, as Anthropic admin keys are sent. */
export function bearerToken(request: FastifyRequest): string | null {
  if (typeof request.headers.authorization === 'string') return bearerFromAuthorization(request);
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey : null;
}

const MAX_CREDENTIAL_LENGTH = 512;

/**
 * Whose credential this is, or null when it is not a valid one. The prefix says what to look
 * up: a console session, an admin credential (any string that is not an `sk-ant-` token), or a
 * minted access token, re-verified against its account's current standing.
 */
export async function identifyCredential(stores: Stores, token: string, now: Date): Promise<Caller | null> {
  if (token.length > MAX_CREDENTIAL_LENGTH) return null;
  if (token.startsWith(CONSOLE_SESSION_PREFIX)) {
    const session = await stores.consoleSessions.find(hashSecret(token));
    if (!session || session.kind !== 'session' || session.expires_at <= now.toISOString()) return null;
    return { kind: 'console', organizationId: session.organization_id, actorId: session.actor_id };
  }
  if (token.startsWith(ADMIN_TOKEN_PREFIX) || !token.startsWith('sk-ant-')) {
    const credential = await stores.adminCredentials.findByHash(hashSecret(token));
    return credential ? { kind: 'console', organizationId: credential.organization_id, actorId: credential.actor_id } : null;
  }
  const check = await verifyAccessToken(stores, token, now);
  if (!check.ok) return null;
  const { grant } = check;
  return {
    kind: 'workload',
    organizationId: grant.organization_id,
    actorId: grant.service_account_id,
    scopes: grant.scopes,
    workspaceId: grant.workspace_id,
  };
}

/** Resolves the caller from its bearer credential, or throws 401. */
export async function authenticateCaller(stores: Stores, request: FastifyRequest, now: Date): Promise<Caller> {
  const token = bearerToken(request);
  if (token === null) throw unauthorized('Missing credentials: send an org:admin token as "Authorization: Bearer <token>".');
  const caller = await identifyCredential(stores, token, now);
  if (!caller) throw unauthorized('Invalid authentication credentials.');
  return caller;
}

/** The Admin API's gate: 401 without a valid credential, 403 without `org:admin`. */
export async function authenticateAdmin(stores: Stores, request: FastifyRequest, now: Date): Promise<Caller> {
  const caller = await authenticateCaller(stores, request, now);
  if (caller.kind === 'workload' && !caller.scopes.includes('org:admin')) {
    throw forbidden('This endpoint requires an OAuth token with the org:admin scope.');
  }
  return caller;
}
