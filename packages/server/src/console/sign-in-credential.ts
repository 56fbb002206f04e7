import type { Stores } from '../storage/ports.ts';
import { ACCESS_TOKEN_PREFIX, CONSOLE_SESSION_PREFIX, hashSecret } from '../tokens/token-hash.ts';
import { verifyAccessToken } from '../tokens/verify-bearer.ts';

export type SignInCheck = { ok: true; organizationId: string; actorId: string } | { ok: false; message: string };

const MAX_TOKEN_LENGTH = 512;
const INVALID = 'That token is not valid. Paste an admin token (owif-admin-…) or an access token with the org:admin scope.';

/**
 * Who may open a console session: the holder of an admin credential, or of a minted access
 * token with the org:admin scope. The same credentials the Admin API accepts as org:admin,
 * minus console session IDs (a session cannot mint another session).
 */
export async function checkSignInToken(stores: Stores, rawToken: unknown, now: Date): Promise<SignInCheck> {
  const token = typeof rawToken === 'string' ? rawToken.trim() : '';
  if (token.length === 0) return { ok: false, message: 'Paste a token to sign in.' };
  if (token.length > MAX_TOKEN_LENGTH || token.startsWith(CONSOLE_SESSION_PREFIX)) return { ok: false, message: INVALID };
  if (token.startsWith(ACCESS_TOKEN_PREFIX)) {
    const check = await verifyAccessToken(stores, token, now);
    if (!check.ok) return { ok: false, message: INVALID };
    if (!check.grant.scopes.includes('org:admin')) {
      return { ok: false, message: 'This access token does not have the org:admin scope; only organization admins can use the console.' };
    }
    return { ok: true, organizationId: check.grant.organization_id, actorId: check.grant.service_account_id };
  }
  if (token.startsWith('sk-ant-')) return { ok: false, message: INVALID };
  const credential = await stores.adminCredentials.findByHash(hashSecret(token));
  if (!credential) return { ok: false, message: INVALID };
  return { ok: true, organizationId: credential.organization_id, actorId: credential.actor_id };
}
