import type { HTTPMethods } from 'fastify';

/**
 * Which `/v1/*` paths the gateway forwards, and which token scope each needs (spec §1.10):
 * `workspace:inference` covers Messages (incl. streaming and token counting), Models and the
 * OpenAI-compatible chat endpoint; `workspace:developer` covers everything forwarded.
 * Admin (`/v1/organizations/…`) and OAuth (`/v1/oauth/…`) paths are never forwarded, whatever
 * the allow-list says.
 */
export type RequiredScope = 'workspace:inference' | 'workspace:developer';

export interface GatewayRoute {
  /** A fastify route URL (a trailing `*` matches any suffix). */
  url: string;
  methods: HTTPMethods[];
}

const INFERENCE_ROUTES: GatewayRoute[] = [
  { url: '/v1/messages', methods: ['POST'] },
  { url: '/v1/messages/count_tokens', methods: ['POST'] },
  { url: '/v1/models', methods: ['GET'] },
  { url: '/v1/models/:model_id', methods: ['GET'] },
];

/** Only reachable when allow-listed, but inference tokens may call it (spec §1.10). */
const INFERENCE_EXTRA_PATHS = new Set(['/v1/chat/completions']);

const ALLOW_LISTED_METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Plain path segments only: no percent-encoding, dot or empty segments that an upstream might normalise differently. */
const CANONICAL_PATH = /^\/v1(\/[A-Za-z0-9_~:@!$'()+,;=.-]+)+$/;

const NEVER_FORWARDED = [/^\/v1\/organizations(\/|$)/, /^\/v1\/oauth(\/|$)/];

/** The routes to register: the built-in inference routes plus one per allow-list entry. */
export function gatewayRoutesFor(allowPaths: readonly string[]): GatewayRoute[] {
  const builtIn = new Set(INFERENCE_ROUTES.map((r) => r.url));
  const extra = [...new Set(allowPaths)].filter((p) => !builtIn.has(p)).map((url) => ({ url, methods: ALLOW_LISTED_METHODS }));
  return [...INFERENCE_ROUTES, ...extra];
}

export type PathVerdict = { forward: true; scope: RequiredScope } | { forward: false; reason: 'not_canonical' | 'never_forwarded' | 'not_allowed' };

/**
 * Re-checks a request path against the policy, independent of how the router matched it
 * (defence in depth: a broad allow-list wildcard must still never reach admin paths).
 */
export function classifyPath(path: string, method: string, allowPaths: readonly string[]): PathVerdict {
  if (NEVER_FORWARDED.some((re) => re.test(path))) return { forward: false, reason: 'never_forwarded' };
  if (!CANONICAL_PATH.test(path) || path.split('/').some((s) => s === '.' || s === '..')) return { forward: false, reason: 'not_canonical' };
  if (isInferencePath(path, method)) return { forward: true, scope: 'workspace:inference' };
  if (!allowPaths.some((p) => matchesAllowEntry(p, path))) return { forward: false, reason: 'not_allowed' };
  return { forward: true, scope: INFERENCE_EXTRA_PATHS.has(path) ? 'workspace:inference' : 'workspace:developer' };
}

function isInferencePath(path: string, method: string): boolean {
  if (method === 'POST') return path === '/v1/messages' || path === '/v1/messages/count_tokens';
  if (method === 'GET') return path === '/v1/models' || /^\/v1\/models\/[^/]+$/.test(path);
  return false;
}

function matchesAllowEntry(entry: string, path: string): boolean {
  return entry.endsWith('*') ? path.startsWith(entry.slice(0, -1)) : path === entry;
}

/** Whether the token's scopes include what the path needs (developer implies inference). */
export function scopeAllows(scopes: readonly string[], required: RequiredScope): boolean {
  if (scopes.includes('workspace:developer')) return true;
  return required === 'workspace:inference' && scopes.includes('workspace:inference');
}
