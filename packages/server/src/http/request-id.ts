import { randomBytes } from '../domain/random-pool.ts';

/** `req_` + 24 base62-ish characters, matching the shape of Anthropic request IDs. */
export function newRequestId(): string {
  return `req_01${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x').slice(0, 22)}`;
}
