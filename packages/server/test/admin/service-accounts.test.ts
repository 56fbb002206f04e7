import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { adminCall, createAccount, createIssuer, createRule, createWorkspace, defaultWorkspaceId, expectError, expectOk } from './admin-fixture.ts';

const SA = '/v1/organizations/service_accounts';
const WS = '/v1/organizations/workspaces';

describe('service accounts, workspaces and memberships', () => {
  let server: TestServer;
  let defaultWs: string;
  before(async () => {
    server = await startTestServer();
    defaultWs = await defaultWorkspaceId(server);
  });
  after(() => server.close());

  const invalidCreates: Array<[string, Record<string, unknown>, RegExp]> = [
    ['missing name', {}, /^name: Field required/],
    ['numeric name', { name: 1 }, /^name: must be string/],
    ['underscore in name', { name: 'ci_bot' }, /^name: must contain only lowercase/],
    ['name too long', { name: 'a'.repeat(256) }, /^name:/],
    ['description too long', { name: 'x', description: 'd'.repeat(2001) }, /^description:/],
    ['description object', { name: 'x', description: { text: 'd' } }, /^description:/],
    ['unknown role', { name: 'x', organization_role: 'owner' }, /^organization_role: must be one of/],
    ['role wrong type', { name: 'x', organization_role: true }, /^organization_role:/],
  ];
  for (const [label, body, message] of invalidCreates) {
    test(`service account create rejects ${label}`, async () => {
      expectError(await adminCall(server, 'POST', SA, body), 400, 'invalid_request_error', message);
    });
  }

  test('service account update: name is immutable (400), role null unchanged, archived → 400, archive blocked by live rules', async () => {
    const id = await createAccount(server, 'sa-upd');
    expectError(
      await adminCall(server, 'POST', `${SA}/${id}`, { name: 'sa-upd' }),
      400,
      'invalid_request_error',
      /^name: a service account name cannot be changed/,
    );
    expectError(await adminCall(server, 'POST', `${SA}/${id}`, { organization_role: 'root' }), 400, 'invalid_request_error', /^organization_role:/);
    const same = expectOk(await adminCall(server, 'POST', `${SA}/${id}`, { organization_role: null, description: 'now' }));
    assert.deepEqual([same.organization_role, same.description], ['developer', 'now']);

    const issuerId = await createIssuer(server, 'sa-upd-iss', 'https://127.0.0.1/sa');
    const rule = await createRule(server, {
      name: 'sa-upd-rule',
      issuer_id: issuerId,
      match: { subject_prefix: 'x' },
      oauth_scope: 'workspace:inference',
      target: { type: 'service_account', service_account_id: id },
      applies_to_all_workspaces: true,
    });
    expectError(await adminCall(server, 'POST', `${SA}/${id}/archive`), 400, 'invalid_request_error', /live federation rule/);
    expectOk(await adminCall(server, 'POST', `/v1/organizations/federation_rules/${rule.id}/archive`));
    const archived = expectOk(await adminCall(server, 'POST', `${SA}/${id}/archive`));
    expectError(await adminCall(server, 'POST', `${SA}/${id}`, { description: 'x' }), 400, 'invalid_request_error', /archived/);
    assert.equal(expectOk(await adminCall(server, 'POST', `${SA}/${id}/archive`)).archived_at, archived.archived_at);
  });

  test('memberships: implicit default, upsert, explicit default row, idempotent delete, archived workspace/account', async () => {
    const id = await createAccount(server, 'sa-mem');
    const ws = await createWorkspace(server, 'mem-ws');
    const list = async () => expectOk(await adminCall(server, 'GET', `${SA}/${id}/workspaces?limit=1`));

    let page = await list();
    assert.deepEqual(
      page.data.map((m: { workspace_id: string; implicit: boolean }) => [m.workspace_id, m.implicit]),
      [[defaultWs, true]],
    );
    assert.equal(page.next_page, null);

    expectOk(await adminCall(server, 'POST', `${SA}/${id}/workspaces`, { workspace_id: ws, workspace_role: 'workspace_developer' }));
    page = await list();
    assert.equal(page.data.length, 2, 'limit=1 first page: implicit plus one explicit');

    // An explicit default row replaces the implicit entry; deleting it reverts to implicit.
    expectOk(await adminCall(server, 'POST', `${SA}/${id}/workspaces`, { workspace_id: defaultWs, workspace_role: 'workspace_admin' }));
    const explicitDefault = expectOk(await adminCall(server, 'GET', `${WS}/${defaultWs}/service_accounts/${id}`));
    assert.deepEqual([explicitDefault.workspace_role, explicitDefault.implicit], ['workspace_admin', false]);
    const all = expectOk(await adminCall(server, 'GET', `${SA}/${id}/workspaces?limit=100`));
    assert.equal(all.data.filter((m: { implicit: boolean }) => m.implicit).length, 0);
    expectOk(await adminCall(server, 'DELETE', `${SA}/${id}/workspaces/${defaultWs}`));
    const reverted = expectOk(await adminCall(server, 'GET', `${WS}/${defaultWs}/service_accounts/${id}`));
    assert.deepEqual([reverted.workspace_role, reverted.implicit], ['workspace_user', true]);
    // Deleting the implicit membership is a 200 no-op.
    expectOk(await adminCall(server, 'DELETE', `${SA}/${id}/workspaces/${defaultWs}`));
    assert.equal(expectOk(await adminCall(server, 'GET', `${WS}/${defaultWs}/service_accounts/${id}`)).implicit, true);
    expectError(
      await adminCall(server, 'POST', `${WS}/${defaultWs}/service_accounts/${id}`, { workspace_role: 'workspace_admin' }),
      404,
      'not_found_error',
      /implicit/,
    );

    const bad: Array<[string, string, Record<string, unknown>, number, RegExp]> = [
      ['POST', `${SA}/${id}/workspaces`, { workspace_id: ws, workspace_role: 'workspace_billing' }, 400, /^workspace_role: must be one of/],
      ['POST', `${SA}/${id}/workspaces`, { workspace_id: ws }, 400, /^workspace_role: Field required/],
      [
        'POST',
        `${SA}/${id}/workspaces`,
        { workspace_id: 'wrkspc_01Nope0000000000000000', workspace_role: 'workspace_user' },
        400,
        /^workspace_id: workspace .* not found/,
      ],
      [
        'POST',
        `${WS}/${ws}/service_accounts`,
        { service_account_id: 'svac_01Nope000000000000000000', workspace_role: 'workspace_user' },
        400,
        /^service_account_id: .* not found/,
      ],
      ['POST', `${WS}/${ws}/service_accounts`, { service_account_id: id, workspace_role: 7 }, 400, /^workspace_role:/],
      ['GET', `${WS}/${ws}/service_accounts/svac_01Nope000000000000000000`, {}, 404, /not found/],
      ['DELETE', `${SA}/svac_01Nope000000000000000000/workspaces/${ws}`, {}, 404, /not found/],
      ['DELETE', `${SA}/${id}/workspaces/wrkspc_01Nope0000000000000000`, {}, 404, /not found/],
    ];
    for (const [method, path, body, status, message] of bad) {
      const reply = await adminCall(server, method, path, method === 'GET' || method === 'DELETE' ? undefined : body);
      expectError(reply, status, status === 404 ? 'not_found_error' : 'invalid_request_error', message);
    }

    // Idempotent deletes of an explicit membership.
    const first = expectOk(await adminCall(server, 'DELETE', `${WS}/${ws}/service_accounts/${id}`));
    assert.deepEqual(first, { type: 'service_account_workspace_member_deleted', service_account_id: id, workspace_id: ws });
    assert.deepEqual(expectOk(await adminCall(server, 'DELETE', `${WS}/${ws}/service_accounts/${id}`)), first);

    // Archived workspace: every membership endpoint answers 400.
    expectOk(await adminCall(server, 'POST', `${WS}/${ws}/service_accounts`, { service_account_id: id, workspace_role: 'workspace_user' }));
    expectOk(await adminCall(server, 'POST', `${WS}/${ws}/archive`));
    for (const [method, path, body] of [
      ['GET', `${WS}/${ws}/service_accounts`, undefined],
      ['GET', `${WS}/${ws}/service_accounts/${id}`, undefined],
      ['POST', `${WS}/${ws}/service_accounts/${id}`, { workspace_role: 'workspace_admin' }],
      ['POST', `${WS}/${ws}/service_accounts`, { service_account_id: id, workspace_role: 'workspace_user' }],
      ['DELETE', `${WS}/${ws}/service_accounts/${id}`, undefined],
      ['POST', `${SA}/${id}/workspaces`, { workspace_id: ws, workspace_role: 'workspace_user' }],
      ['DELETE', `${SA}/${id}/workspaces/${ws}`, undefined],
    ] as const) {
      expectError(await adminCall(server, method, path, body), 400, 'invalid_request_error', /archived/);
    }
    // ...but the account's own list still shows the membership for auditing.
    assert.ok(expectOk(await adminCall(server, 'GET', `${SA}/${id}/workspaces?limit=100`)).data.some((m: { workspace_id: string }) => m.workspace_id === ws));
  });

  test('archived service account: empty membership list, stale cursor 400, cannot be added, 404 on mirror get', async () => {
    const id = await createAccount(server, 'sa-gone');
    const ws = await createWorkspace(server, 'gone-ws');
    const ws2 = await createWorkspace(server, 'gone-ws-2');
    for (const w of [ws, ws2]) expectOk(await adminCall(server, 'POST', `${SA}/${id}/workspaces`, { workspace_id: w, workspace_role: 'workspace_user' }));
    const firstPage = expectOk(await adminCall(server, 'GET', `${SA}/${id}/workspaces?limit=1`));
    assert.ok(firstPage.next_page);
    expectOk(await adminCall(server, 'POST', `${SA}/${id}/archive`));
    assert.deepEqual(expectOk(await adminCall(server, 'GET', `${SA}/${id}/workspaces`)), { data: [], next_page: null });
    expectError(
      await adminCall(server, 'GET', `${SA}/${id}/workspaces?page=${encodeURIComponent(firstPage.next_page)}`),
      400,
      'invalid_request_error',
      /^page:/,
    );
    expectError(
      await adminCall(server, 'POST', `${WS}/${ws}/service_accounts`, { service_account_id: id, workspace_role: 'workspace_user' }),
      400,
      'invalid_request_error',
      /archived/,
    );
    expectError(await adminCall(server, 'GET', `${WS}/${ws}/service_accounts/${id}`), 404, 'not_found_error');
    expectError(
      await adminCall(server, 'POST', `${WS}/${ws}/service_accounts/${id}`, { workspace_role: 'workspace_admin' }),
      400,
      'invalid_request_error',
      /archived/,
    );
    const mirror = expectOk(await adminCall(server, 'GET', `${WS}/${ws}/service_accounts`));
    assert.ok(!mirror.data.some((m: { service_account_id: string }) => m.service_account_id === id), 'archived accounts are omitted');
  });

  const invalidWorkspaces: Array<[string, Record<string, unknown>, RegExp]> = [
    ['missing name', {}, /^name: Field required/],
    ['name too long', { name: 'w'.repeat(41) }, /^name:/],
    ['display_color not hex', { name: 'w', display_color: 'purple' }, /^display_color:/],
    ['tags with number values', { name: 'w', tags: { a: 1 } }, /^tags\.a: must be string/],
    ['reserved tag prefix', { name: 'w', tags: { 'anthropic-x': 'y' } }, /^tags: key "anthropic-x" may not begin/],
    ['unknown inference geo', { name: 'w', data_residency: { allowed_inference_geos: ['eu'] } }, /^data_residency\.allowed_inference_geos/],
    [
      'default geo not allowed',
      { name: 'w', data_residency: { allowed_inference_geos: ['us'], default_inference_geo: 'global' } },
      /^data_residency\.default_inference_geo/,
    ],
    ['workspace_geo other than us', { name: 'w', data_residency: { workspace_geo: 'eu' } }, /^data_residency\.workspace_geo/],
    ['external_key_id (CMEK unsupported)', { name: 'w', external_key_id: 'key_1' }, /^external_key_id: .* not supported/],
    ['user_profile_id unsupported', { name: 'w', user_profile_id: 'uprof_1' }, /^user_profile_id: .* not supported/],
  ];
  for (const [label, body, message] of invalidWorkspaces) {
    test(`workspace create rejects ${label}`, async () => {
      expectError(await adminCall(server, 'POST', WS, body), 400, 'invalid_request_error', message);
    });
  }
});
