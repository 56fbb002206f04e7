import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, exportJWK } from 'jose';
import { adminCall, createAccount, createIssuer, createRule, createWorkspace, defaultWorkspaceId } from '../admin/admin-fixture.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';

/** JSON values that break code which calls String(), template literals or methods on input. */
const HOSTILE: unknown[] = [{ toString: null }, [{ toString: 0 }], { valueOf: {}, toString: 'x' }, { constructor: 1, length: -1 }];

/** Every path to a value inside `body`: top-level fields, nested objects and array items. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof value !== 'object' || value === null) return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [...(prefix.length > 0 ? [prefix] : []), ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}

function replaced(body: unknown, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}

/**
 * Issue 13: every field of every Admin API write, replaced in turn by JSON values shaped to
 * break naive code (objects with a non-callable toString, and the like), gets a 4xx, never a 5xx.
 * The fuzzer found such values crashing the exchange; this covers the Admin API's writes.
 */
describe('hostile JSON values in every Admin API field', () => {
  let server: TestServer;
  const bodies: Array<[string, string, unknown]> = [];

  before(async () => {
    server = await startTestServer();
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' };
    const account = await createAccount(server, 'hostile-sa');
    const workspace = await createWorkspace(server, 'hostile-ws');
    const issuerId = await createIssuer(server, 'hostile-issuer', 'https://hostile.example');
    const defaultWs = await defaultWorkspaceId(server);
    const rule = await createRule(server, {
      name: 'hostile-rule',
      issuer_id: issuerId,
      match: { subject_prefix: 'w', audience: 'https://api.anthropic.com', claims: { tid: 't' }, condition: 'claims.sub == "w"' },
      target: { type: 'service_account', service_account_id: account },
      oauth_scope: 'workspace:inference',
      applies_to_all_workspaces: false,
      workspace_id: defaultWs,
    });
    const issuer = {
      name: 'hostile-new',
      issuer_url: 'https://hostile-new.example',
      jwks: { type: 'inline', keys: [jwk] },
      max_jwt_lifetime_seconds: 3600,
      check_jti: true,
    };
    bodies.push(
      ['POST', '/v1/organizations/federation_issuers', issuer],
      [
        'POST',
        `/v1/organizations/federation_issuers/${issuerId}`,
        { ...issuer, name: 'hostile-upd', jwks: { type: 'explicit_url', url: 'https://hostile.example/jwks' } },
      ],
      ['POST', '/v1/organizations/service_accounts', { name: 'hostile-sa-2', description: 'd', organization_role: 'developer' }],
      ['POST', `/v1/organizations/service_accounts/${account}/workspaces`, { workspace_id: workspace, workspace_role: 'workspace_user' }],
      ['POST', '/v1/organizations/workspaces', { name: 'hostile-ws-2' }],
      [
        'POST',
        '/v1/organizations/federation_rules',
        {
          name: 'hostile-rule-2',
          issuer_id: issuerId,
          match: { subject_prefix: 'w', audience: 'https://api.anthropic.com', claims: { tid: 't' }, condition: 'claims.sub == "w"' },
          target: { type: 'service_account', service_account_id: account },
          oauth_scope: 'workspace:inference',
          token_lifetime_seconds: 600,
          applies_to_all_workspaces: false,
          workspace_id: defaultWs,
        },
      ],
      ['POST', `/v1/organizations/federation_rules/${rule.id}`, { description: 'x', match: { subject_prefix: 'v' }, workspace_id: defaultWs }],
      ['POST', `/v1/organizations/federation_rules/${rule.id}/workspaces`, { workspace_id: workspace }],
      ['POST', `/v1/organizations/federation_rules/${rule.id}/test`, { claims: { sub: 'w', aud: 'https://api.anthropic.com', tid: 't' } }],
    );
  });
  after(() => server.close());

  test('each field replaced by each hostile value: a 4xx every time', async () => {
    const failures: string[] = [];
    let calls = 0;
    for (const [method, path, body] of bodies) {
      for (const at of paths(body)) {
        for (const value of HOSTILE) {
          const reply = await adminCall(server, method, path, replaced(body, at, value));
          calls++;
          if (reply.status >= 500) failures.push(`${method} ${path} ${at.join('.')} = ${JSON.stringify(value)}: ${reply.status}`);
        }
      }
    }
    assert.ok(calls > 150, `only ${calls} calls`);
    assert.deepEqual(failures, []);
    assert.equal((await adminCall(server, 'GET', '/v1/organizations/me')).status, 200);
  });
});
