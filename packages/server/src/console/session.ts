import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ConsoleSession, Stores } from '../storage/ports.ts';
import { CONSOLE_SESSION_PREFIX, hashSecret, newSecret } from '../tokens/token-hash.ts';

/**
 * Console sessions and one-time login links. Both live in `stores.consoleSessions` under the
 * SHA-256 of their secret only. A session ID is also a bearer credential for the Admin API
 * (auth/caller.ts), which is how every console page reads and writes data.
 */

export const SESSION_COOKIE = 'openwif_session';
export const SESSION_TTL_SECONDS = 8 * 60 * 60;
/** Login links are not session IDs: they cannot call the Admin API, only become a session once. */
export const LOGIN_LINK_PREFIX = 'owif-login-';
const MAX_LOGIN_LINK_TTL_SECONDS = 24 * 60 * 60;
const MAX_SECRET_LENGTH = 512;

export interface SignedInSession {
  id: string;
  organizationId: string;
  actorId: string;
  expiresAt: string;
}

function expiry(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

/** A one-time sign-in code for `openwif dev` to print as `/console/login/<code>`. */
export async function createLoginLink(stores: Stores, organizationId: string, actorId: string, now: Date, ttlSeconds = 600): Promise<string> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_LOGIN_LINK_TTL_SECONDS) {
    throw new RangeError(`login link lifetime must be 1-${MAX_LOGIN_LINK_TTL_SECONDS} seconds`);
  }
  const code = newSecret(LOGIN_LINK_PREFIX);
  await stores.consoleSessions.insert(hashSecret(code), {
    organization_id: organizationId,
    actor_id: actorId,
    kind: 'login_link',
    created_at: now.toISOString(),
    expires_at: expiry(now, ttlSeconds),
  });
  return code;
}

/** Takes the link (it works once, even under concurrent use) and returns who it signs in, or null. */
export async function redeemLoginLink(stores: Stores, code: string, now: Date): Promise<{ organizationId: string; actorId: string } | null> {
  if (!code.startsWith(LOGIN_LINK_PREFIX) || code.length > MAX_SECRET_LENGTH) return null;
  const link = await stores.consoleSessions.take(hashSecret(code));
  if (!link || link.kind !== 'login_link' || link.expires_at <= now.toISOString()) return null;
  return { organizationId: link.organization_id, actorId: link.actor_id };
}

export async function startSession(stores: Stores, who: { organizationId: string; actorId: string }, now: Date): Promise<SignedInSession> {
  const id = newSecret(CONSOLE_SESSION_PREFIX);
  const session: ConsoleSession = {
    organization_id: who.organizationId,
    actor_id: who.actorId,
    kind: 'session',
    created_at: now.toISOString(),
    expires_at: expiry(now, SESSION_TTL_SECONDS),
  };
  await stores.consoleSessions.insert(hashSecret(id), session);
  return { id, organizationId: who.organizationId, actorId: who.actorId, expiresAt: session.expires_at };
}

export async function findSession(stores: Stores, id: string | undefined, now: Date): Promise<SignedInSession | null> {
  if (id === undefined || !id.startsWith(CONSOLE_SESSION_PREFIX) || id.length > MAX_SECRET_LENGTH) return null;
  const session = await stores.consoleSessions.find(hashSecret(id));
  if (!session || session.kind !== 'session' || session.expires_at <= now.toISOString()) return null;
  return { id, organizationId: session.organization_id, actorId: session.actor_id, expiresAt: session.expires_at };
}

export async function endSession(stores: Stores, id: string): Promise<void> {
  await stores.consoleSessions.delete(hashSecret(id));
}

/**
 * The synchronizer token for a session: an HMAC keyed by the session ID itself, so it needs no
 * storage, dies with the session, and cannot be computed from the stored hash.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHmac('sha256', sessionId).update('openwif-console-csrf').digest('base64url');
}

export function isValidCsrfToken(sessionId: string, presented: unknown): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 128) return false;
  const expected = Buffer.from(csrfTokenFor(sessionId));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
