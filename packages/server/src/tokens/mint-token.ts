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

export interface NewAccessToken {
  /** Handed to the caller once; never stored. */
  accessToken: string;
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
}

/** `sk-ant-oat01-` + 256 random bits, and the hash the store keeps instead. */
export function newAccessToken(now: Date, lifetimeSeconds: number): NewAccessToken {
  const accessToken = newSecret(ACCESS_TOKEN_PREFIX);
  return {
    accessToken,
    tokenHash: hashSecret(accessToken),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000).toISOString(),
  };
}
