import type { AccessTokenGrant } from '../domain/types.ts';
import type { ConfigReads } from '../storage/config-cache.ts';
import { ACCESS_TOKEN_PREFIX, hashSecret } from './token-hash.ts';

export type BearerRejection = 'malformed' | 'unknown' | 'expired' | 'service_account_inactive' | 'not_a_member';

export type BearerCheck = { ok: true; grant: AccessTokenGrant } | { ok: false; reason: BearerRejection };

const MAX_TOKEN_LENGTH = 256;

/**
 * The one verifier for minted tokens (Admin API and gateway). Beyond existence and expiry it
 * re-checks that the service account is still active and, for workspace-scoped tokens, still a
 * member of the token's workspace (spec §5.8 decision), so archiving or removing an account
 * takes effect on its next request.
 */
export async function verifyAccessToken(stores: ConfigReads, token: string, now: Date): Promise<BearerCheck> {
  if (!token.startsWith(ACCESS_TOKEN_PREFIX) || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const grant = await stores.tokens.find(hashSecret(token));
  if (!grant) return { ok: false, reason: 'unknown' };
  if (grant.expires_at <= now.toISOString()) return { ok: false, reason: 'expired' };
  const account = await stores.serviceAccounts.get(grant.organization_id, grant.service_account_id);
  if (!account || account.archived_at !== null) return { ok: false, reason: 'service_account_inactive' };
  if (!grant.scopes.includes('org:admin')) {
    const workspace = await stores.workspaces.get(grant.organization_id, grant.workspace_id);
    if (!workspace || workspace.archived_at !== null) return { ok: false, reason: 'not_a_member' };
    if (!workspace.is_default && !(await stores.memberships.get(grant.service_account_id, grant.workspace_id))) {
      return { ok: false, reason: 'not_a_member' };
    }
  }
  return { ok: true, grant };
}
