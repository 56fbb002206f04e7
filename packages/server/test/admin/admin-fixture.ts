import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, type TestServer } from '../helpers/start-server.ts';
import type { TestIssuer } from '../helpers/test-issuer.ts';

/** Raw-HTTP helpers for the Admin API suites (the SDK suite lives in test/compat). */

export type Reply = Awaited<ReturnType<typeof call>>;

export function adminCall(server: TestServer, method: string, path: string, body?: unknown, token?: string): Promise<Reply> {
  const headers = token ? { authorization: `Bearer ${token}` } : { authorization: server.adminHeaders['authorization'] ?? '' };
  return call(server, method, path, body === undefined ? { headers } : { headers, body });
}

/** Asserts the Anthropic error envelope (spec §2.3) and returns the message. */
export function expectError(reply: Reply, status: number, type: string, message?: RegExp): string {
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.type, 'error');
  assert.equal(reply.body.error.type, type);
  assert.match(reply.body.request_id, /^req_/);
  assert.equal(reply.headers.get('request-id'), reply.body.request_id);
  if (message) assert.match(reply.body.error.message, message);
  return reply.body.error.message as string;
}

export function expectOk(reply: Reply): any {
  assert.equal(reply.status, 200, `expected 200, got ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export async function defaultWorkspaceId(server: TestServer): Promise<string> {
  const page = expectOk(await adminCall(server, 'GET', '/v1/organizations/workspaces?include_default=true&limit=1000'));
  const found = (page.data as Array<{ id: string; name: string }>).find((w) => w.name === 'Default');
  assert.ok(found);
  return found.id;
}

export async function createAccount(server: TestServer, name: string, role: 'developer' | 'admin' = 'developer'): Promise<string> {
  return expectOk(await adminCall(server, 'POST', '/v1/organizations/service_accounts', { name, organization_role: role })).id;
}

export async function createWorkspace(server: TestServer, name: string): Promise<string> {
  return expectOk(await adminCall(server, 'POST', '/v1/organizations/workspaces', { name })).id;
}

export async function createIssuer(server: TestServer, name: string, issuerUrl: string): Promise<string> {
  return expectOk(await adminCall(server, 'POST', '/v1/organizations/federation_issuers', { name, issuer_url: issuerUrl })).id;
}

export async function createRule(server: TestServer, fields: Record<string, unknown>): Promise<any> {
  return expectOk(await adminCall(server, 'POST', '/v1/organizations/federation_rules', fields));
}

/** Mints a token through POST /v1/oauth/token for a rule matching `subject`. */
export async function mintToken(server: TestServer, issuer: TestIssuer, ruleId: string, subject: string): Promise<string> {
  const assertion = await issuer.sign({ sub: subject, aud: 'https://api.anthropic.com', jti: randomUUID() });
  const reply = await call(server, 'POST', '/v1/oauth/token', {
    body: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, federation_rule_id: ruleId, organization_id: server.organizationId },
  });
  assert.equal(reply.status, 200, `exchange failed: ${JSON.stringify(reply.body)}`);
  return reply.body.access_token as string;
}

/** A workload caller: an issuer, an account and a rule with `oauthScope`, then a minted token. */
export async function workloadToken(
  server: TestServer,
  issuer: TestIssuer,
  name: string,
  oauthScope: string,
  role: 'developer' | 'admin' = 'admin',
): Promise<{ token: string; ruleId: string; issuerId: string; accountId: string }> {
  const issuerId = await createIssuer(server, `${name}-iss`, issuer.url);
  const accountId = await createAccount(server, `${name}-sa`, role);
  const rule = await createRule(server, {
    name: `${name}-rule`,
    issuer_id: issuerId,
    match: { subject_prefix: `wl:${name}` },
    oauth_scope: oauthScope,
    target: { type: 'service_account', service_account_id: accountId },
    workspace_id: await defaultWorkspaceId(server),
  });
  return { token: await mintToken(server, issuer, rule.id, `wl:${name}`), ruleId: rule.id, issuerId, accountId };
}
