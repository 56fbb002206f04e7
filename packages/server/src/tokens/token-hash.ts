import { hash } from 'node:crypto';
import { randomBytes } from '../domain/random-pool.ts';

export const ACCESS_TOKEN_PREFIX = 'sk-ant-oat01-';
export const ADMIN_TOKEN_PREFIX = 'owif-admin-';
/** Console session IDs are bearer credentials too: the console calls the Admin API with them. */
export const CONSOLE_SESSION_PREFIX = 'owif-session-';

/**
 * Opaque secrets are stored only as SHA-256 digests and looked up by digest. A lookup by digest
 * reveals nothing about how close a guess was, which is what a constant-time compare protects.
 */
export function hashSecret(secret: string): string {
  // The one-shot hash: this runs on every exchange, gateway call and Admin API request.
  return hash('sha256', secret, 'hex');
}

/** 32 random bytes (256 bits) after the prefix. */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}
