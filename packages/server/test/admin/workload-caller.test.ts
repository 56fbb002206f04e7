import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { adminCall, createAccount, createIssuer, createRule, defaultWorkspaceId, expectError, expectOk, workloadToken } from './admin-fixture.ts';

const RULES = '/v1/organizations/federation_rules';
const ISSUERS = '/v1/organizations/federation_issuers';
const SA = '/v1/organizations/service_accounts';

describe('workload (WIF-minted org:admin) callers: spec §2.2 restrictions', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let token: string;
  let workloadAccountId: string;
  let adminRuleId: string;
  let adminIssuerId: string;
  let devIssuerId: string;
  let devAccountId: string;
  let defaultWs: string;

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['ES256']);
    const wl = await workloadToken(server, issuer, 'wl', 'org:admin');
    token = wl.token;
    workloadAccountId = wl.accountId;
    adminRuleId = wl.ruleId;
    adminIssuerId = wl.issuerId;
    devIssuerId = await createIssuer(server, 'dev-only-iss', 'https://127.0.0.1/dev');
    devAccountId = await createAccount(server, 'dev-target');
    defaultWs = await defaultWorkspaceId(server);
  });
  after(async () => {
    await issuer.close();
    await server.close();
  });

  const ruleBody = (name: string, scope: string) => ({
    name,
    issuer_id: devIssuerId,
    match: { subject_prefix: `svc:${name}` },
    oauth_scope: scope,
    target: { type: 'service_account', service_account_id: devAccountId },
    applies_to_all_workspaces: true,
  });

  test('may create and manage workspace-scoped rules; its service account is the recorded actor', async () => {
    const rule = expectOk(await adminCall(server, 'POST', RULES, ruleBody('wl-dev', 'workspace:developer'), token));
    assert.equal(rule.created_by_actor_id, workloadAccountId);
    const updated = expectOk(await adminCall(server, 'POST', `${RULES}/${rule.id}`, { oauth_scope: 'workspace:inference' }, token));
    assert.equal(updated.updated_by_actor_id, workloadAccountId);
    const enabled = expectOk(await adminCall(server, 'POST', `${RULES}/${rule.id}/workspaces`, { workspace_id: defaultWs }, token));
    assert.equal(enabled.created_by_actor_id, workloadAccountId);
    expectOk(await adminCall(server, 'DELETE', `${RULES}/${rule.id}/workspaces/${defaultWs}`, undefined, token));
    const archived = expectOk(await adminCall(server, 'POST', `${RULES}/${rule.id}/archive`, undefined, token));
    assert.equal(archived.archived_by_actor_id, workloadAccountId);
  });

  for (const scope of ['org:admin', 'workspace:manage_tunnels', 'workspace:developer org:admin']) {
    test(`may not create a rule with scope "${scope}"`, async () => {
      const body = ruleBody(`wl-${scope.replace(/[^a-z]/g, '')}`, scope);
      expectError(await adminCall(server, 'POST', RULES, body, token), 403, 'permission_error', /workspace:developer or workspace:inference/);
    });
  }

  test('may not touch a rule whose scope is wider, in any way', async () => {
    const dev = await createRule(server, ruleBody('console-dev', 'workspace:developer'));
    expectError(await adminCall(server, 'POST', `${RULES}/${dev.id}`, { oauth_scope: 'workspace:manage_tunnels' }, token), 403, 'permission_error');
    for (const [method, path, body] of [
      ['POST', `${RULES}/${adminRuleId}`, { description: 'x' }],
      ['POST', `${RULES}/${adminRuleId}/archive`, undefined],
      ['POST', `${RULES}/${adminRuleId}/workspaces`, { workspace_id: defaultWs }],
      ['DELETE', `${RULES}/${adminRuleId}/workspaces/${defaultWs}`, undefined],
    ] as const) {
      expectError(await adminCall(server, method, path, body, token), 403, 'permission_error');
    }
    const untouched = expectOk(await adminCall(server, 'GET', `${RULES}/${adminRuleId}`));
    assert.deepEqual([untouched.description, untouched.archived_at, untouched.workspace_ids], [null, null, [defaultWs]]);
  });

  test('may not update an issuer backing a wider-scoped rule, nor re-enable its polling; other issuers are fine', async () => {
    expectError(await adminCall(server, 'POST', `${ISSUERS}/${adminIssuerId}`, { name: 'renamed' }, token), 403, 'permission_error');
    expectError(await adminCall(server, 'POST', `${ISSUERS}/${adminIssuerId}`, { jwks_polling_disabled: false }, token), 403, 'permission_error');
    const renamed = expectOk(await adminCall(server, 'POST', `${ISSUERS}/${devIssuerId}`, { name: 'dev-only-renamed', jwks_polling_disabled: false }, token));
    assert.equal(renamed.updated_by_actor_id, workloadAccountId);
  });

  test('may create developer service accounts but never grant organization_role admin', async () => {
    const dev = expectOk(await adminCall(server, 'POST', SA, { name: 'wl-made' }, token));
    assert.equal(dev.organization_role, 'developer');
    expectError(await adminCall(server, 'POST', SA, { name: 'wl-made-admin', organization_role: 'admin' }, token), 403, 'permission_error');
    expectError(await adminCall(server, 'POST', `${SA}/${dev.id}`, { organization_role: 'admin' }, token), 403, 'permission_error');
    // Even when unchanged, on an account that already is admin.
    expectError(await adminCall(server, 'POST', `${SA}/${workloadAccountId}`, { organization_role: 'admin' }, token), 403, 'permission_error');
    expectOk(await adminCall(server, 'POST', `${SA}/${dev.id}`, { organization_role: null, description: 'ok' }, token));
    // The console may.
    expectOk(await adminCall(server, 'POST', `${SA}/${dev.id}`, { organization_role: 'admin' }));
  });
});
