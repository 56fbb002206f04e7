import { sanitize } from '../errors.ts';

/** One jwt-bearer exchange against `{base}/v1/oauth/token` (spec §5), with its outcome described. */

export interface ExchangeRequest {
  baseUrl: string;
  assertion: string;
  federationRuleId: string;
  organizationId: string;
  serviceAccountId?: string;
  workspaceId?: string;
}

export type ExchangeOutcome =
  | { ok: true; status: number; accessToken: string; tokenType: string; expiresIn: number; scope: string | null; requestId: string | null }
  | { ok: false; status: number; errorType: string; message: string; requestId: string | null };

const TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;
const FEDERATION_BETA = 'oauth-2025-04-20,oidc-federation-2026-04-01';

export async function exchangeToken(request: ExchangeRequest, fetchImpl: typeof fetch): Promise<ExchangeOutcome> {
  const body = {
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: request.assertion,
    federation_rule_id: request.federationRuleId,
    organization_id: request.organizationId,
    ...(request.serviceAccountId !== undefined ? { service_account_id: request.serviceAccountId } : {}),
    ...(request.workspaceId !== undefined ? { workspace_id: request.workspaceId } : {}),
  };
  const response = await fetchImpl(`${request.baseUrl}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-beta': FEDERATION_BETA, accept: 'application/json' },
    body: JSON.stringify(body),
    redirect: 'error',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const requestId = response.headers.get('request-id');
  const text = await response.text();
  if (text.length > MAX_RESPONSE_BYTES) return { ok: false, status: response.status, errorType: 'invalid_response', message: 'response too large', requestId };
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: described below from the status alone.
  }
  if (response.ok && typeof parsed.access_token === 'string' && typeof parsed.expires_in === 'number') {
    return {
      ok: true,
      status: response.status,
      accessToken: parsed.access_token,
      tokenType: typeof parsed.token_type === 'string' ? parsed.token_type : 'Bearer',
      expiresIn: parsed.expires_in,
      scope: typeof parsed.scope === 'string' ? parsed.scope : null,
      requestId,
    };
  }
  const error = (parsed.error ?? {}) as { type?: unknown; message?: unknown };
  return {
    ok: false,
    status: response.status,
    errorType: typeof error.type === 'string' ? sanitize(error.type, 80) : response.ok ? 'invalid_response' : 'error',
    message:
      typeof error.message === 'string' ? sanitize(error.message) : response.ok ? 'the response has no access_token/expires_in' : `HTTP ${response.status}`,
    requestId: requestId === null ? null : sanitize(requestId, 100),
  };
}
