import type { FastifyRequest } from 'fastify';
import { bearerFromAuthorization } from '../auth/caller.ts';
import type { AccessTokenGrant } from '../domain/types.ts';
import { forbidden, unauthorized } from '../http/errors.ts';
import type { ConfigReads } from '../storage/config-cache.ts';
import { verifyAccessToken } from '../tokens/verify-bearer.ts';
import { scopeAllows, type RequiredScope } from './forwarded-paths.ts';

/**
 * The gateway accepts exactly one credential: a minted token as `Authorization: Bearer`
 * (spec §6), with or without the `oauth-2025-04-20` beta value. It is re-verified on every call
 * against the current configuration (a ConfigCache view is never stale), so archiving a service
 * account or removing it from the workspace takes effect on its next request. Every failure has
 * the same text: the reason is no business of the caller.
 */
export async function authenticateGatewayCall(config: ConfigReads, request: FastifyRequest, now: Date): Promise<AccessTokenGrant> {
  const token = bearerFromAuthorization(request);
  if (token === null) {
    throw unauthorized('Missing credentials: send a token minted by POST /v1/oauth/token as "Authorization: Bearer <token>".');
  }
  const check = await verifyAccessToken(config, token, now);
  if (!check.ok) throw unauthorized('Invalid authentication credentials.');
  return check.grant;
}

/** 403 when the token's scopes do not cover the path (spec §1.10); `org:admin` tokens are for the Admin API only. */
export function assertScopeAllows(grant: AccessTokenGrant, required: RequiredScope, method: string, path: string): void {
  if (scopeAllows(grant.scopes, required)) return;
  if (grant.scopes.includes('org:admin')) {
    throw forbidden(
      'org:admin tokens are for the Admin API only; exchange a workspace-scoped token (workspace:inference or workspace:developer) for API calls.',
    );
  }
  throw forbidden(`This token's scope (${grant.scopes.join(' ') || 'none'}) does not allow ${method} ${path}; it requires ${required}.`);
}
