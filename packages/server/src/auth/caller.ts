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

/** Resolves the caller from its bearer credential, or throws 401. */
export async function authenticateCaller(stores: Stores, request: FastifyRequest, now: Date): Promise<Caller> {
  const token = bearerToken(request);
  if (token === null) throw unauthorized('Missing credentials: send an org:admin token as "Authorization: Bearer <token>".');
  if (token.startsWith(CONSOLE_SESSION_PREFIX)) {
    const session = token.length <= 512 ? await stores.consoleSessions.find(hashSecret(token)) : null;
    if (!session || session.kind !== 'session' || session.expires_at <= now.toISOString()) throw unauthorized('Invalid authentication credentials.');
    return { kind: 'console', organizationId: session.organization_id, actorId: session.actor_id };
  }
  if (token.startsWith(ADMIN_TOKEN_PREFIX) || !token.startsWith('sk-ant-')) {
    const credential = token.length <= 512 ? await stores.adminCredentials.findByHash(hashSecret(token)) : null;
    if (!credential) throw unauthorized('Invalid authentication credentials.');
    return { kind: 'console', organizationId: credential.organization_id, actorId: credential.actor_id };
  }
  const check = await verifyAccessToken(stores, token, now);
  if (!check.ok) throw unauthorized('Invalid authentication credentials.');
  const { grant } = check;
  return {
    kind: 'workload',
    organizationId: grant.organization_id,
    actorId: grant.service_account_id,
    scopes: grant.scopes,
    workspaceId: grant.workspace_id,
  };
}

/** The Admin API's gate: 401 without a valid credential, 403 without `org:admin`. */
export async function authenticateAdmin(stores: Stores, request: FastifyRequest, now: Date): Promise<Caller> {
  const caller = await authenticateCaller(stores, request, now);
  if (caller.kind === 'workload' && !caller.scopes.includes('org:admin')) {
    throw forbidden('This endpoint requires an OAuth token with the org:admin scope.');
  }
  return caller;
}
