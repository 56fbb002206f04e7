import { identifyCredential } from '../auth/caller.ts';
import type { Stores } from '../storage/ports.ts';
import { CONSOLE_SESSION_PREFIX } from '../tokens/token-hash.ts';

export type SignInCheck = { ok: true; organizationId: string; actorId: string } | { ok: false; message: string };

const INVALID = 'That token is not valid. Paste an admin token (owif-admin-…) or an access token with the org:admin scope.';

/**
 * Who may open a console session: whoever the Admin API accepts as org:admin (an admin
 * credential, or a minted access token with the org:admin scope), except a console session
 * itself: a session cannot mint another session.
 */
export async function checkSignInToken(stores: Stores, rawToken: unknown, now: Date): Promise<SignInCheck> {
  const token = typeof rawToken === 'string' ? rawToken.trim() : '';
  if (token.length === 0) return { ok: false, message: 'Paste a token to sign in.' };
  const caller = token.startsWith(CONSOLE_SESSION_PREFIX) ? null : await identifyCredential(stores, token, now);
  if (!caller) return { ok: false, message: INVALID };
  if (caller.kind === 'workload' && !caller.scopes.includes('org:admin')) {
    return { ok: false, message: 'This access token does not have the org:admin scope; only organization admins can use the console.' };
  }
  return { ok: true, organizationId: caller.organizationId, actorId: caller.actorId };
}
