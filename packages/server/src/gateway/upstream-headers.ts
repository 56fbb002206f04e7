import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never relayed. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host']);

/** The client's credentials stay here: the upstream sees only the workspace's upstream key. */
const CLIENT_CREDENTIALS = new Set(['authorization', 'x-api-key', 'cookie']);

/** Federation tokens are bound to one workspace (spec §6): a requested switch is not relayed. */
const NOT_RELAYED_UPSTREAM = new Set(['anthropic-workspace-id']);

/** Set by the gateway itself on the way back. */
const NOT_RELAYED_DOWNSTREAM = new Set(['set-cookie', 'anthropic-workspace-id', 'request-id']);

export const OAUTH_BETA = 'oauth-2025-04-20';
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

// The filters below run twice per gateway call, so they avoid per-header allocations
// (Object.entries pairs, a Set for the usual `Connection: keep-alive`).

export function upstreamRequestHeaders(client: IncomingHttpHeaders, upstream: { host: string; apiKey: string | null }): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const dropped = connectionListed(client);
  for (const name of Object.keys(client)) {
    const value = client[name];
    if (value === undefined || isHopByHop(name) || dropped?.has(name)) continue;
    if (CLIENT_CREDENTIALS.has(name) || NOT_RELAYED_UPSTREAM.has(name) || name === 'anthropic-beta') continue;
    out[name] = value;
  }
  const beta = client['anthropic-beta'];
  if (beta !== undefined) {
    const betas = betaValues(beta).filter((b) => b !== OAUTH_BETA);
    if (betas.length > 0) out['anthropic-beta'] = betas.join(',');
  }
  out['anthropic-version'] =
    typeof client['anthropic-version'] === 'string' && client['anthropic-version'] !== '' ? client['anthropic-version'] : DEFAULT_ANTHROPIC_VERSION;
  out.host = upstream.host;
  if (upstream.apiKey !== null) out['x-api-key'] = upstream.apiKey;
  return out;
}

/** The upstream's response headers as the client gets them; the gateway adds its own identity headers. */
export function downstreamResponseHeaders(upstream: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const dropped = connectionListed(upstream);
  for (const name of Object.keys(upstream)) {
    const value = upstream[name];
    if (value === undefined || isHopByHop(name) || dropped?.has(name) || NOT_RELAYED_DOWNSTREAM.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** `anthropic-beta` may be comma-separated and repeated (node joins repeats with ", "). */
export function betaValues(header: string | string[] | undefined): string[] {
  const joined = Array.isArray(header) ? header.join(',') : (header ?? '');
  const seen = new Set<string>();
  for (const part of joined.split(',')) {
    const value = part.trim();
    if (value !== '') seen.add(value);
  }
  return [...seen];
}

function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name) || name.startsWith('proxy-');
}

/** Headers named in `Connection` are hop-by-hop too; null when it names none beyond HOP_BY_HOP. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> | null {
  const value = headers.connection;
  if (typeof value !== 'string' || value === 'keep-alive') return null;
  return new Set(
    value
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== ''),
  );
}
