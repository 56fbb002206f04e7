import { KNOWN_SCOPES, scopeList } from '../domain/scopes.ts';
import { badRequest } from '../http/errors.ts';

/** Anything outside KNOWN_SCOPES is a typo we refuse to store. */
const KNOWN = new Set<string>(KNOWN_SCOPES);
const WORKLOAD_MANAGEABLE = new Set<string>(['workspace:developer', 'workspace:inference']);
const MAX_SCOPE_LENGTH = 256;

/** Validates a space-separated scope string; returns it normalised (single spaces, no duplicates). */
export function normalizeScope(raw: string): string {
  if (raw.length > MAX_SCOPE_LENGTH) throw badRequest(`oauth_scope: must be at most ${MAX_SCOPE_LENGTH} characters`);
  const scopes = [...new Set(raw.split(/\s+/).filter((s) => s.length > 0))];
  if (scopes.length === 0) throw badRequest('oauth_scope: must name at least one scope');
  const unknown = scopes.find((s) => !KNOWN.has(s));
  if (unknown !== undefined) {
    throw badRequest(`oauth_scope: unknown scope ${JSON.stringify(unknown.slice(0, 64))}; known scopes: ${KNOWN_SCOPES.join(', ')}`);
  }
  return scopes.join(' ');
}

export function isWorkloadManageable(oauthScope: string): boolean {
  return scopeList(oauthScope).every((s) => WORKLOAD_MANAGEABLE.has(s));
}
