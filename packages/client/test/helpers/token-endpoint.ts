import { startLoopbackServer, type RecordedRequest, type ScriptedResponse } from './loopback-server.ts';

export const TEST_ORG_ID = '11111111-2222-4333-8444-555555555555';
export const TEST_RULE_ID = 'fdrl_01TestRule';

export interface ExchangeCall {
  headers: RecordedRequest['headers'];
  body: Record<string, unknown>;
}

/** What the next exchange answers; default mints a token. */
export type ExchangeBehaviour =
  | { kind: 'mint'; expiresIn?: number; tokenType?: string | null; delayMs?: number }
  | { kind: 'deny' }
  | { kind: 'invalid'; message: string }
  | { kind: 'status'; status: number; body?: string | object; headers?: Record<string, string> };

export interface FakeTokenEndpoint {
  url: string;
  exchanges: ExchangeCall[];
  /** Every access token minted so far, in order. */
  minted: string[];
  /** Bearer tokens seen on GET /v1/organizations/me. */
  apiBearers: string[];
  /** Behaviours consumed one per exchange; when empty, `fallback` applies. */
  script: ExchangeBehaviour[];
  fallback: ExchangeBehaviour;
  /** Tokens the API side rejects with 401 (simulates revocation). */
  revoked: Set<string>;
  close: () => Promise<void>;
}

/**
 * Stands in for the OpenWIF / Claude API token endpoint with the wire shapes
 * of wif-api.md §5.2 (success) and §5.3 (Anthropic error envelope), and for
 * `GET /v1/organizations/me` authenticated by a minted bearer.
 */
export async function startFakeTokenEndpoint(): Promise<FakeTokenEndpoint> {
  let counter = 0;
  const state: Omit<FakeTokenEndpoint, 'url' | 'close'> = {
    exchanges: [],
    minted: [],
    apiBearers: [],
    script: [],
    fallback: { kind: 'mint' },
    revoked: new Set(),
  };
  const requestId = () => `req_test${String(++counter).padStart(6, '0')}`;

  const server = await startLoopbackServer((request): ScriptedResponse => {
    if (request.method === 'POST' && request.url === '/v1/oauth/token') {
      state.exchanges.push({ headers: request.headers, body: JSON.parse(request.body) as Record<string, unknown> });
      const behaviour = state.script.shift() ?? state.fallback;
      return exchangeReply(behaviour, requestId(), state.minted);
    }
    if (request.method === 'GET' && request.url === '/v1/organizations/me') {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (bearer !== undefined) state.apiBearers.push(bearer);
      if (bearer === undefined || !state.minted.includes(bearer) || state.revoked.has(bearer)) {
        return envelope(401, 'authentication_error', 'invalid x-api-key', requestId());
      }
      return { status: 200, headers: { 'request-id': requestId() }, body: { id: TEST_ORG_ID, name: 'Test Org', type: 'organization' } };
    }
    return envelope(404, 'not_found_error', 'Not found', requestId());
  });
  return Object.assign(state, { url: server.url, close: server.close });
}

function exchangeReply(behaviour: ExchangeBehaviour, id: string, minted: string[]): ScriptedResponse {
  switch (behaviour.kind) {
    case 'mint': {
      const token = `sk-ant-oat01-${crypto.randomUUID().replaceAll('-', '')}`;
      minted.push(token);
      const body: Record<string, unknown> = { access_token: token, expires_in: behaviour.expiresIn ?? 600, scope: 'workspace:developer' };
      if (behaviour.tokenType !== null) body.token_type = behaviour.tokenType ?? 'Bearer';
      return { status: 200, headers: { 'request-id': id }, body, ...(behaviour.delayMs === undefined ? {} : { delayMs: behaviour.delayMs }) };
    }
    case 'deny':
      return envelope(401, 'authentication_error', 'Authentication failed', id);
    case 'invalid':
      return envelope(400, 'invalid_request_error', behaviour.message, id);
    case 'status':
      return { status: behaviour.status, headers: { 'request-id': id, ...behaviour.headers }, body: behaviour.body ?? '' };
  }
}

function envelope(status: number, type: string, message: string, id: string): ScriptedResponse {
  return { status, headers: { 'request-id': id }, body: { type: 'error', error: { type, message }, request_id: id } };
}
