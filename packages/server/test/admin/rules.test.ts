import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newSigningKey } from '../helpers/test-issuer.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { adminCall, createAccount, createIssuer, createRule, createWorkspace, defaultWorkspaceId, expectError, expectOk } from './admin-fixture.ts';

const PATH = '/v1/organizations/federation_rules';

describe('federation rules: validation and semantics', () => {
  let server: TestServer;
  let issuerId: string;
  let archivedIssuerId: string;
  let githubIssuerId: string;
  let accountId: string;
  let adminAccountId: string;
  let archivedAccountId: string;
  let workspaceId: string;
  let archivedWorkspaceId: string;
  let defaultWs: string;
  let base: () => Record<string, unknown>;

  before(async () => {
    server = await startTestServer({ outboundAllow: ['127.0.0.1', 'token.actions.githubusercontent.com'] });
    issuerId = await createIssuer(server, 'rules-iss', 'https://127.0.0.1/iss');
    archivedIssuerId = await createIssuer(server, 'rules-iss-old', 'https://127.0.0.1/old');
    expectOk(await adminCall(server, 'POST', `/v1/organizations/federation_issuers/${archivedIssuerId}/archive`));
    const jwk = (await newSigningKey('RS256', 'gh')).publicJwk;
    githubIssuerId = expectOk(
      await adminCall(server, 'POST', '/v1/organizations/federation_issuers', {
        name: 'github',
        issuer_url: 'https://token.actions.githubusercontent.com',
        jwks: { type: 'inline', keys: [jwk] },
      }),
    ).id;
    accountId = await createAccount(server, 'rules-dev');
    adminAccountId = await createAccount(server, 'rules-admin', 'admin');
    archivedAccountId = await createAccount(server, 'rules-gone');
    expectOk(await adminCall(server, 'POST', `/v1/organizations/service_accounts/${archivedAccountId}/archive`));
    workspaceId = await createWorkspace(server, 'rules-ws');
    archivedWorkspaceId = await createWorkspace(server, 'rules-ws-old');
    expectOk(await adminCall(server, 'POST', `/v1/organizations/workspaces/${archivedWorkspaceId}/archive`));
    defaultWs = await defaultWorkspaceId(server);
    base = () => ({
      name: 'r',
      issuer_id: issuerId,
      match: { subject_prefix: 'svc:a' },
      oauth_scope: 'workspace:developer',
      target: { type: 'service_account', service_account_id: accountId },
      workspace_id: workspaceId,
    });
  });
  after(() => server.close());

  const invalid: Array<[string, (b: Record<string, unknown>) => Record<string, unknown>, RegExp]> = [
    ['missing match', ({ match: _m, ...rest }) => rest, /^match: Field required/],
    ['match not an object', (b) => ({ ...b, match: 'sub' }), /^match: must be object/],
    ['empty match', (b) => ({ ...b, match: {} }), /^match: match needs at least one/],
    ['audience-only match', (b) => ({ ...b, match: { audience: 'x' } }), /^match:/],
    ['wildcard-only subject', (b) => ({ ...b, match: { subject_prefix: '*' } }), /^match:/],
    ['unknown match field (typo)', (b) => ({ ...b, match: { subject_prefx: 'svc:a', subject_prefix: 'svc:a' } }), /^match\.subject_prefx: unknown match field/],
    ['subject_prefix too long', (b) => ({ ...b, match: { subject_prefix: 'a'.repeat(1025) } }), /^match\.subject_prefix:/],
    ['audience too long', (b) => ({ ...b, match: { subject_prefix: 'a', audience: 'a'.repeat(1025) } }), /^match\.audience:/],
    ['numeric claim value', (b) => ({ ...b, match: { claims: { org: 5 } } }), /^match\.claims/],
    ['condition typed int', (b) => ({ ...b, match: { condition: 'size(claims)' } }), /^match\.condition/],
    ['constant-true condition', (b) => ({ ...b, match: { condition: 'true' } }), /^match\.condition/],
    ['condition does not compile', (b) => ({ ...b, match: { condition: 'claims.sub ==' } }), /^match\.condition/],
    ['condition too long', (b) => ({ ...b, match: { condition: `claims.sub == "${'a'.repeat(4100)}"` } }), /^match\.condition/],
    ['name invalid', (b) => ({ ...b, name: 'Rule_1' }), /^name:/],
    ['description too long', (b) => ({ ...b, description: 'd'.repeat(2001) }), /^description: must be at most|^description:/],
    ['oauth_scope empty', (b) => ({ ...b, oauth_scope: '' }), /^oauth_scope:/],
    ['oauth_scope blank', (b) => ({ ...b, oauth_scope: '   ' }), /^oauth_scope: must name at least one scope/],
    ['unknown scope', (b) => ({ ...b, oauth_scope: 'workspace:developer workspace:admin' }), /^oauth_scope: unknown scope "workspace:admin"/],
    ['org:admin for a developer SA', (b) => ({ ...b, oauth_scope: 'org:admin' }), /^oauth_scope: org:admin can only be granted/],
    ['token lifetime 59', (b) => ({ ...b, token_lifetime_seconds: 59 }), /^token_lifetime_seconds: must be >= 60/],
    ['token lifetime 86401', (b) => ({ ...b, token_lifetime_seconds: 86401 }), /^token_lifetime_seconds: must be <= 86400/],
    ['token lifetime string', (b) => ({ ...b, token_lifetime_seconds: '600' }), /^token_lifetime_seconds:/],
    ['target missing', ({ target: _t, ...rest }) => rest, /^target: Field required/],
    ['target wrong type', (b) => ({ ...b, target: { type: 'user', service_account_id: accountId } }), /^target\.type: must be "service_account"/],
    ['target without id', (b) => ({ ...b, target: { type: 'service_account' } }), /^target\.service_account_id: Field required/],
    ['unknown issuer', (b) => ({ ...b, issuer_id: 'fdis_01Unknown000000000000000' }), /^issuer_id: federation issuer .* not found/],
    ['archived issuer', (b) => ({ ...b, issuer_id: archivedIssuerId }), /^issuer_id: .* is archived/],
    [
      'unknown service account',
      (b) => ({ ...b, target: { type: 'service_account', service_account_id: 'svac_01Unknown000000000000000' } }),
      /^target\.service_account_id: .* not found/,
    ],
    [
      'archived service account',
      (b) => ({ ...b, target: { type: 'service_account', service_account_id: archivedAccountId } }),
      /^target\.service_account_id: .* is archived/,
    ],
    ['workspace_id missing without applies_to_all', ({ workspace_id: _w, ...rest }) => rest, /^workspace_id: Field required unless/],
    ['workspace_id "default"', (b) => ({ ...b, workspace_id: 'default' }), /^workspace_id: "default" is only accepted at token exchange/],
    ['unknown workspace', (b) => ({ ...b, workspace_id: 'wrkspc_01Unknown00000000000000' }), /^workspace_id: workspace .* not found/],
    ['archived workspace', (b) => ({ ...b, workspace_id: archivedWorkspaceId }), /^workspace_id: .* is archived/],
    ['applies_to_all not boolean', (b) => ({ ...b, applies_to_all_workspaces: 'yes' }), /^applies_to_all_workspaces:/],
    ['non-empty attributes', (b) => ({ ...b, attributes: { team: 'claims.team' } }), /^attributes: attribute extraction is not supported/],
    ['GitHub issuer without tenant pinning', (b) => ({ ...b, issuer_id: githubIssuerId, match: { subject_prefix: 'repo:*' } }), /^match:/],
  ];
  for (const [label, mutate, message] of invalid) {
    test(`create rejects ${label}`, async () => {
      expectError(await adminCall(server, 'POST', PATH, mutate(base())), 400, 'invalid_request_error', message);
    });
  }

  test('valid edge cases: org:admin for an admin SA, empty attributes, tenant-pinned GitHub rule, applies_to_all', async () => {
    const admin = await createRule(server, {
      ...base(),
      name: 'r-admin',
      oauth_scope: 'org:admin',
      target: { type: 'service_account', service_account_id: adminAccountId },
    });
    assert.equal(admin.oauth_scope, 'org:admin');
    const spaced = await createRule(server, {
      ...base(),
      name: 'r-spaced',
      oauth_scope: ' workspace:inference  workspace:developer workspace:inference',
      attributes: {},
    });
    assert.equal(spaced.oauth_scope, 'workspace:inference workspace:developer', 'normalised scope string');
    assert.equal(spaced.attributes, null);
    const gh = await createRule(server, { ...base(), name: 'r-gh', issuer_id: githubIssuerId, match: { subject_prefix: 'repo:acme/app:*' } });
    assert.equal(gh.issuer_name, 'github');
    const all = await createRule(server, { ...base(), name: 'r-all', workspace_id: undefined, applies_to_all_workspaces: true });
    assert.deepEqual([all.applies_to_all_workspaces, all.workspace_ids, all.workspace_id], [true, [], null]);
  });

  test('update semantics: null unchanged, description null clears, issuer_id ignored, references re-checked', async () => {
    const rule = await createRule(server, { ...base(), name: 'r-upd', description: 'd', token_lifetime_seconds: 900 });
    const same = expectOk(
      await adminCall(server, 'POST', `${PATH}/${rule.id}`, {
        name: null,
        match: null,
        target: null,
        oauth_scope: null,
        token_lifetime_seconds: null,
        workspace_id: null,
        applies_to_all_workspaces: null,
      }),
    );
    for (const key of ['name', 'match', 'target', 'oauth_scope', 'token_lifetime_seconds', 'workspace_ids', 'applies_to_all_workspaces', 'description']) {
      assert.deepEqual(same[key], rule[key], key);
    }
    const cleared = expectOk(await adminCall(server, 'POST', `${PATH}/${rule.id}`, { description: null, issuer_id: githubIssuerId }));
    assert.equal(cleared.description, '');
    assert.equal(cleared.issuer_id, issuerId, 'issuer_id is immutable (ignored on update)');
    const errors: Array<[Record<string, unknown>, RegExp]> = [
      [{ oauth_scope: 'org:admin' }, /^oauth_scope: org:admin can only be granted/],
      [{ target: { type: 'service_account', service_account_id: archivedAccountId } }, /^target\.service_account_id: .* archived/],
      [{ workspace_id: 'default' }, /^workspace_id:/],
      [{ workspace_id: archivedWorkspaceId }, /^workspace_id:/],
      [{ match: { subject_prefix: '*' } }, /^match:/],
      [{ match: { nope: 1 } }, /^match\.nope:/],
      [{ token_lifetime_seconds: 10 }, /^token_lifetime_seconds:/],
      [{ name: 'r-admin' }, /./],
      [{ attributes: { a: 'b' } }, /^attributes:/],
    ];
    for (const [body, message] of errors) {
      const status = body['name'] === 'r-admin' ? 409 : 400;
      expectError(await adminCall(server, 'POST', `${PATH}/${rule.id}`, body), status, status === 409 ? 'conflict_error' : 'invalid_request_error', message);
    }
  });

  test('workspace enablement rules: workspace_id replaces one enablement, 400 with two; applies_to_all false needs a workspace', async () => {
    const ws2 = await createWorkspace(server, 'rules-ws-2');
    const rule = await createRule(server, { ...base(), name: 'r-ws' });
    const moved = expectOk(await adminCall(server, 'POST', `${PATH}/${rule.id}`, { workspace_id: ws2 }));
    assert.deepEqual(moved.workspace_ids, [ws2]);
    expectOk(await adminCall(server, 'POST', `${PATH}/${rule.id}/workspaces`, { workspace_id: defaultWs }));
    expectError(await adminCall(server, 'POST', `${PATH}/${rule.id}`, { workspace_id: workspaceId }), 400, 'invalid_request_error', /more than one workspace/);

    const global = await createRule(server, { ...base(), name: 'r-global', workspace_id: undefined, applies_to_all_workspaces: true });
    expectError(
      await adminCall(server, 'POST', `${PATH}/${global.id}`, { applies_to_all_workspaces: false }),
      400,
      'invalid_request_error',
      /^applies_to_all_workspaces:/,
    );
    const narrowed = expectOk(await adminCall(server, 'POST', `${PATH}/${global.id}`, { applies_to_all_workspaces: false, workspace_id: workspaceId }));
    assert.deepEqual([narrowed.applies_to_all_workspaces, narrowed.workspace_ids], [false, [workspaceId]]);
  });

  test('rule workspaces sub-resource: references, archived rule, idempotency, list ignores paging', async () => {
    const rule = await createRule(server, { ...base(), name: 'r-sub' });
    for (const [body, message] of [
      [{ workspace_id: 'default' }, /^workspace_id: "default"/],
      [{ workspace_id: 'wrkspc_01Unknown00000000000000' }, /^workspace_id: workspace .* not found/],
      [{ workspace_id: archivedWorkspaceId }, /archived/],
      [{ workspace_id: 12 }, /^workspace_id: must be string/],
      [{}, /^workspace_id: Field required/],
    ] as const) {
      expectError(await adminCall(server, 'POST', `${PATH}/${rule.id}/workspaces`, body), 400, 'invalid_request_error', message);
    }
    expectError(await adminCall(server, 'POST', `${PATH}/fdrl_01Unknown000000000000000/workspaces`, { workspace_id: workspaceId }), 404, 'not_found_error');
    const listed = expectOk(await adminCall(server, 'GET', `${PATH}/${rule.id}/workspaces?limit=0&page=whatever`));
    assert.deepEqual(
      listed.data.map((e: { workspace_id: string; workspace_name: string }) => [e.workspace_id, e.workspace_name]),
      [[workspaceId, 'rules-ws']],
    );
    assert.equal(listed.next_page, null);
    expectOk(await adminCall(server, 'DELETE', `${PATH}/${rule.id}/workspaces/wrkspc_01NeverEnabled000000000`));
    expectOk(await adminCall(server, 'POST', `${PATH}/${rule.id}/archive`));
    expectError(await adminCall(server, 'POST', `${PATH}/${rule.id}/workspaces`, { workspace_id: workspaceId }), 400, 'invalid_request_error', /archived/);
    assert.deepEqual(expectOk(await adminCall(server, 'GET', `${PATH}/${rule.id}/workspaces`)).data, [], 'archive cleared the enablements');
  });

  test('list filters by issuer_id and hides archived rules unless asked', async () => {
    const other = await createIssuer(server, 'rules-iss-filter', 'https://127.0.0.1/filter');
    const kept = await createRule(server, { ...base(), name: 'r-filter-a', issuer_id: other });
    const gone = await createRule(server, { ...base(), name: 'r-filter-b', issuer_id: other });
    expectOk(await adminCall(server, 'POST', `${PATH}/${gone.id}/archive`));
    const live = expectOk(await adminCall(server, 'GET', `${PATH}?issuer_id=${other}`));
    assert.deepEqual(
      live.data.map((r: { id: string }) => r.id),
      [kept.id],
    );
    const all = expectOk(await adminCall(server, 'GET', `${PATH}?issuer_id=${other}&include_archived=true`));
    assert.deepEqual(
      all.data.map((r: { id: string }) => r.id),
      [gone.id, kept.id],
    );
  });

  test('changing an issuer_url to a shared platform is refused while a live rule would not pin the tenant', async () => {
    const iss = await createIssuer(server, 'rules-iss-move', 'https://127.0.0.1/move');
    await createRule(server, { ...base(), name: 'r-move', issuer_id: iss, match: { subject_prefix: 'repo:*' } });
    expectError(
      await adminCall(server, 'POST', `/v1/organizations/federation_issuers/${iss}`, { issuer_url: 'https://token.actions.githubusercontent.com' }),
      400,
      'invalid_request_error',
      /^issuer_url: live rule fdrl_/,
    );
  });
});
