import type { AccessTokenGrant } from '../domain/types.ts';
import type { TokenStore } from '../storage/ports.ts';
import { ACCESS_TOKEN_PREFIX, hashSecret, newSecret } from './token-hash.ts';

export const MIN_TOKEN_LIFETIME_SECONDS = 60;

/**
 * `max(60, min(rule lifetime, 2 × remaining assertion validity))` in whole seconds (spec §5.8):
 * a token never outlives twice what is left of the assertion, and never lives under a minute.
 */
export function tokenLifetimeSeconds(ruleLifetimeSeconds: number, assertionExp: number, nowSeconds: number): number {
  const remaining = Math.max(0, assertionExp - nowSeconds);
  return Math.max(MIN_TOKEN_LIFETIME_SECONDS, Math.floor(Math.min(ruleLifetimeSeconds, 2 * remaining)));
}

export interface MintedToken {
  accessToken: string;
  expiresIn: number;
}

export async function mintAccessToken(
  tokens: TokenStore,
  grant: Omit<AccessTokenGrant, 'created_at' | 'expires_at'>,
  lifetimeSeconds: number,
  now: Date,
): Promise<MintedToken> {
  const accessToken = newSecret(ACCESS_TOKEN_PREFIX);
  await tokens.insert(hashSecret(accessToken), {
    ...grant,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + lifetimeSeconds * 1000).toISOString(),
  });
  return { accessToken, expiresIn: lifetimeSeconds };
}
