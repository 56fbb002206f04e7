import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic, { BadRequestError, ConflictError, NotFoundError, PermissionDeniedError } from '@anthropic-ai/sdk';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { adminClient, createChain, identityToken, withAnthropicEnv } from './sdk-fixture.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ACTOR = 'user_01openwifbootstrapadmin';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('Admin API through the official SDK (console caller)', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let client: Anthropic;
  let defaultWorkspaceId: string;

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['RS256', 'ES256']);
    client = adminClient(server);
    const page = await client.organization.workspaces.list({ include_default: true });
    const found = page.data.find((w) => w.name === 'Default');
    assert.ok(found, 'default workspace listed with include_default');
    defaultWorkspaceId = found.id;
  });
  after(async () => {
    await issuer.close();
    await server.close();
  });

  test('organization.retrieve returns the organization', async () => {
    const org = await client.organization.retrieve();
    assert.equal(org.type, 'organization');
    assert.equal(org.id, server.organizationId);
    assert.equal(typeof org.name, 'string');
  });

  test('service accounts: create, retrieve, update, list (auto-paginated), archive twice, errors', async () => {
    const created = await client.organization.serviceAccounts.create({ name: 'sdk-sa-main', description: 'first' });
    assert.match(created.id, /^svac_01[0-9A-Za-z]{22}$/);
    assert.equal(created.type, 'service_account');
    assert.equal(created.name, 'sdk-sa-main');
    assert.equal(created.description, 'first');
    assert.equal(created.organization_role, 'developer');
    assert.match(created.created_at, ISO);
    assert.equal(created.updated_at, created.created_at);
    assert.equal(created.archived_at, null);
    assert.equal(created.created_by_actor_id, ACTOR);
    assert.equal(created.updated_by_actor_id, ACTOR);
    assert.equal(created.archived_by_actor_id, null);

    assert.deepEqual(await client.organization.serviceAccounts.retrieve(created.id), created);

    const unchanged = await client.organization.serviceAccounts.update(created.id, { organization_role: null });
    assert.equal(unchanged.organization_role, 'developer');
    assert.equal(unchanged.description, 'first');
    const promoted = await client.organization.serviceAccounts.update(created.id, { organization_role: 'admin', description: null });
    assert.equal(promoted.organization_role, 'admin');
    assert.equal(promoted.description, '', 'null clears the description (stored as an empty string)');
    assert.equal(promoted.name, 'sdk-sa-main');

    for (let i = 0; i < 4; i++) await client.organization.serviceAccounts.create({ name: `sdk-sa-page-${i}` });
    const firstPage = await client.organization.serviceAccounts.list({ limit: 2 });
    assert.equal(firstPage.data.length, 2);
    assert.equal(firstPage.hasNextPage(), true);
    const all = await collect(client.organization.serviceAccounts.list({ limit: 2 }));
    const names = all.map((a) => a.name);
    assert.equal(new Set(names).size, names.length, 'no duplicates across pages');
    for (const n of ['sdk-sa-main', 'sdk-sa-page-0', 'sdk-sa-page-3']) assert.ok(names.includes(n), `${n} listed`);
    assert.ok(names.indexOf('sdk-sa-page-3') < names.indexOf('sdk-sa-page-0'), 'newest first');

    const archived = await client.organization.serviceAccounts.archive(created.id);
    assert.match(archived.archived_at ?? '', ISO);
    assert.equal(archived.archived_by_actor_id, ACTOR);
    const again = await client.organization.serviceAccounts.archive(created.id);
    assert.equal(again.archived_at, archived.archived_at, 'idempotent archive keeps the original archived_at');
    const live = await collect(client.organization.serviceAccounts.list({ limit: 100 }));
    assert.ok(!live.some((a) => a.id === created.id), 'archived hidden by default');
    const withArchived = await collect(client.organization.serviceAccounts.list({ limit: 100, include_archived: true }));
    assert.ok(
      withArchived.some((a) => a.id === created.id),
      'include_archived shows it',
    );

    await assert.rejects(client.organization.serviceAccounts.retrieve('svac_01DoesNotExist0000000000'), NotFoundError);
    await assert.rejects(client.organization.serviceAccounts.create({ name: 'sdk-sa-page-1' }), ConflictError);
    await assert.rejects(client.organization.serviceAccounts.create({ name: 'Not A Slug' }), BadRequestError);
    await assert.rejects(client.organization.serviceAccounts.update(created.id, { description: 'late' }), (err: unknown) => {
      assert.ok(err instanceof BadRequestError);
      assert.match(err.message, /archived/);
      return true;
    });
    // The name of an archived account is free again.
    const reused = await client.organization.serviceAccounts.create({ name: 'sdk-sa-main' });
    assert.notEqual(reused.id, created.id);
  });

  test('service account workspaces: implicit default, add (upsert), list over pages, remove', async () => {
    const account = await client.organization.serviceAccounts.create({ name: 'sdk-sa-members' });
    const workspaces = [];
    for (let i = 0; i < 3; i++) workspaces.push(await client.organization.workspaces.create({ name: `sa-side-${i}` }));

    const only = await collect(client.organization.serviceAccounts.workspaces.list(account.id));
    assert.deepEqual(only, [
      {
        type: 'service_account_workspace_member',
        service_account_id: account.id,
        workspace_id: defaultWorkspaceId,
        workspace_role: 'workspace_user',
        implicit: true,
        created_by_actor_id: ACTOR,
      },
    ]);

    const added = await client.organization.serviceAccounts.workspaces.add(account.id, {
      workspace_id: workspaces[0]!.id,
      workspace_role: 'workspace_developer',
    });
    assert.deepEqual(added, {
      type: 'service_account_workspace_member',
      service_account_id: account.id,
      workspace_id: workspaces[0]!.id,
      workspace_role: 'workspace_developer',
      implicit: false,
      created_by_actor_id: ACTOR,
    });
    const upserted = await client.organization.serviceAccounts.workspaces.add(account.id, {
      workspace_id: workspaces[0]!.id,
      workspace_role: 'workspace_admin',
    });
    assert.equal(upserted.workspace_role, 'workspace_admin');
    for (const w of workspaces.slice(1))
      await client.organization.serviceAccounts.workspaces.add(account.id, { workspace_id: w.id, workspace_role: 'workspace_user' });

    const all = await collect(client.organization.serviceAccounts.workspaces.list(account.id, { limit: 1 }));
    assert.equal(all.length, 4, 'implicit + 3 explicit, over several pages');
    assert.equal(all[0]!.implicit, true);
    assert.deepEqual(new Set(all.slice(1).map((m) => m.workspace_id)), new Set(workspaces.map((w) => w.id)));

    const removed = await client.organization.serviceAccounts.workspaces.remove(workspaces[0]!.id, { service_account_id: account.id });
    assert.deepEqual(removed, { type: 'service_account_workspace_member_deleted', service_account_id: account.id, workspace_id: workspaces[0]!.id });
    const removedAgain = await client.organization.serviceAccounts.workspaces.remove(workspaces[0]!.id, { service_account_id: account.id });
    assert.deepEqual(removedAgain, removed, 'idempotent');

    await assert.rejects(
      client.organization.serviceAccounts.workspaces.add(account.id, { workspace_id: 'wrkspc_01Nope00000000000000000', workspace_role: 'workspace_user' }),
      BadRequestError,
    );
    await assert.rejects(client.organization.serviceAccounts.workspaces.list('svac_01Nope000000000000000000'), NotFoundError);
  });

  test('workspaces: create, retrieve, update, Page-envelope list forwards and backwards, archive twice', async () => {
    const created = await client.organization.workspaces.create({ name: 'ws-main', tags: { team: 'ml' }, data_residency: { allowed_inference_geos: ['us'] } });
    assert.match(created.id, /^wrkspc_01/);
    assert.equal(created.type, 'workspace');
    assert.equal(created.name, 'ws-main');
    assert.match(created.display_color, /^#[0-9A-Fa-f]{6}$/);
    assert.deepEqual(created.tags, { team: 'ml' });
    assert.deepEqual(created.data_residency, { allowed_inference_geos: ['us'], default_inference_geo: 'us', workspace_geo: 'us' });
    assert.match(created.compartment_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(created.external_key_id, null);
    assert.equal(created.user_profile_id, null);
    assert.equal(created.archived_at, null);
    assert.deepEqual(await client.organization.workspaces.retrieve(created.id), created);

    const updated = await client.organization.workspaces.update(created.id, {
      name: 'ws-renamed',
      display_color: '#112233',
      tags: { team: null, env: 'prod' },
    });
    assert.equal(updated.name, 'ws-renamed');
    assert.equal(updated.display_color, '#112233');
    assert.deepEqual(updated.tags, { env: 'prod' });

    const defaultWs = await client.organization.workspaces.retrieve(defaultWorkspaceId);
    assert.equal(defaultWs.name, 'Default');
    await assert.rejects(client.organization.workspaces.update(defaultWorkspaceId, { name: 'Renamed' }), BadRequestError);
    await assert.rejects(client.organization.workspaces.archive(defaultWorkspaceId), BadRequestError);

    for (let i = 0; i < 3; i++) await client.organization.workspaces.create({ name: `ws-page-${i}` });
    const page = await client.organization.workspaces.list({ limit: 2 });
    assert.equal(page.data.length, 2);
    assert.equal(page.has_more, true);
    assert.equal(page.first_id, page.data[0]!.id);
    assert.equal(page.last_id, page.data[1]!.id);
    const forward = await collect(client.organization.workspaces.list({ limit: 2 }));
    assert.ok(!forward.some((w) => w.id === defaultWorkspaceId), 'default excluded unless asked');
    assert.equal(new Set(forward.map((w) => w.id)).size, forward.length);
    const lastId = forward[forward.length - 1]!.id;
    const backward = await collect(client.organization.workspaces.list({ limit: 2, before_id: lastId }));
    assert.deepEqual(new Set(backward.map((w) => w.id)), new Set(forward.slice(0, -1).map((w) => w.id)));
    const byIds = await client.organization.workspaces.list({ ids: [created.id, defaultWorkspaceId], include_default: true });
    assert.deepEqual(new Set(byIds.data.map((w) => w.id)), new Set([created.id, defaultWorkspaceId]));

    const archived = await client.organization.workspaces.archive(created.id);
    assert.match(archived.archived_at ?? '', ISO);
    assert.equal((await client.organization.workspaces.archive(created.id)).archived_at, archived.archived_at);
    await assert.rejects(client.organization.workspaces.update(created.id, { name: 'late' }), BadRequestError);
    await assert.rejects(client.organization.workspaces.retrieve('wrkspc_01Nope00000000000000000'), NotFoundError);
    await assert.rejects(client.organization.workspaces.create({ name: '' }), BadRequestError);
  });

  test('workspace service accounts: add, retrieve (incl. implicit), update, list, remove', async () => {
    const ws = await client.organization.workspaces.create({ name: 'ws-members' });
    const accounts = [];
    for (let i = 0; i < 3; i++) accounts.push(await client.organization.serviceAccounts.create({ name: `ws-side-sa-${i}` }));
    for (const a of accounts)
      await client.organization.workspaces.serviceAccounts.add(ws.id, { service_account_id: a.id, workspace_role: 'workspace_developer' });

    const member = await client.organization.workspaces.serviceAccounts.retrieve(accounts[0]!.id, { workspace_id: ws.id });
    assert.deepEqual(member, {
      type: 'service_account_workspace_member',
      service_account_id: accounts[0]!.id,
      workspace_id: ws.id,
      workspace_role: 'workspace_developer',
      implicit: false,
      created_by_actor_id: ACTOR,
    });
    const implicit = await client.organization.workspaces.serviceAccounts.retrieve(accounts[0]!.id, { workspace_id: defaultWorkspaceId });
    assert.equal(implicit.implicit, true);
    assert.equal(implicit.workspace_role, 'workspace_user');

    const changed = await client.organization.workspaces.serviceAccounts.update(accounts[0]!.id, {
      workspace_id: ws.id,
      workspace_role: 'workspace_restricted_developer',
    });
    assert.equal(changed.workspace_role, 'workspace_restricted_developer');
    await assert.rejects(
      client.organization.workspaces.serviceAccounts.update(accounts[0]!.id, { workspace_id: defaultWorkspaceId, workspace_role: 'workspace_admin' }),
      NotFoundError,
      'the implicit membership has no row to update',
    );

    const listed = await collect(client.organization.workspaces.serviceAccounts.list(ws.id, { limit: 2 }));
    assert.deepEqual(new Set(listed.map((m) => m.service_account_id)), new Set(accounts.map((a) => a.id)));
    assert.ok(listed.every((m) => m.implicit === false));

    const removed = await client.organization.workspaces.serviceAccounts.remove(accounts[1]!.id, { workspace_id: ws.id });
    assert.deepEqual(removed, { type: 'service_account_workspace_member_deleted', service_account_id: accounts[1]!.id, workspace_id: ws.id });
    await assert.rejects(client.organization.workspaces.serviceAccounts.retrieve(accounts[1]!.id, { workspace_id: ws.id }), NotFoundError);
    await assert.rejects(
      client.organization.workspaces.serviceAccounts.add(ws.id, {
        service_account_id: accounts[1]!.id,
        workspace_role: 'workspace_billing' as 'workspace_user',
      }),
      BadRequestError,
    );
  });

  test('federation issuers: create (defaults and each key source), retrieve, update, list, archive twice, errors', async () => {
    const created = await client.organization.federation.issuers.create({ name: 'sdk-issuer', issuer_url: issuer.url });
    assert.match(created.id, /^fdis_01/);
    assert.equal(created.type, 'federation_issuer');
    assert.equal(created.name, 'sdk-issuer');
    assert.equal(created.issuer_url, issuer.url);
    assert.deepEqual(created.jwks, { type: 'discovery', discovery_base: null, ca_cert_pem: null });
    assert.equal(created.check_jti, true);
    assert.equal(created.max_jwt_lifetime_seconds, 3600);
    assert.equal(created.poll_status, null);
    assert.equal(created.jwks_polling_disabled_at, null);
    assert.equal(created.created_by_actor_id, ACTOR);
    assert.deepEqual(await client.organization.federation.issuers.retrieve(created.id), created);

    const inline = await client.organization.federation.issuers.create({
      name: 'sdk-issuer-inline',
      issuer_url: 'https://internal.example/not-dialled',
      jwks: { type: 'inline', keys: [issuer.key('ES256').publicJwk as Record<string, unknown>] },
      check_jti: false,
      max_jwt_lifetime_seconds: 176400,
    });
    assert.equal(inline.jwks.type, 'inline');
    assert.equal(inline.check_jti, false);
    assert.equal(inline.max_jwt_lifetime_seconds, 176400);
    const explicit = await client.organization.federation.issuers.create({
      name: 'sdk-issuer-explicit',
      issuer_url: 'https://iss.example',
      jwks: { type: 'explicit_url', url: `${issuer.url}/jwks` },
    });
    assert.deepEqual(explicit.jwks, { type: 'explicit_url', url: `${issuer.url}/jwks`, ca_cert_pem: null });

    const updated = await client.organization.federation.issuers.update(created.id, {
      name: 'sdk-issuer-renamed',
      max_jwt_lifetime_seconds: 600,
      check_jti: null,
      jwks_polling_disabled: false,
    });
    assert.equal(updated.name, 'sdk-issuer-renamed');
    assert.equal(updated.max_jwt_lifetime_seconds, 600);
    assert.equal(updated.check_jti, true, 'null leaves check_jti unchanged');
    assert.equal(updated.jwks_polling_disabled_at, null);
    assert.equal(updated.poll_status?.consecutive_failures, 0);
    assert.match(updated.poll_status?.next_poll_at ?? '', ISO);

    const all = await collect(client.organization.federation.issuers.list({ limit: 1 }));
    assert.deepEqual(new Set(all.map((i) => i.id)), new Set([created.id, inline.id, explicit.id]));

    const archived = await client.organization.federation.issuers.archive(explicit.id);
    assert.match(archived.archived_at ?? '', ISO);
    assert.equal((await client.organization.federation.issuers.archive(explicit.id)).archived_at, archived.archived_at);
    await assert.rejects(client.organization.federation.issuers.update(explicit.id, { name: 'late' }), BadRequestError);

    await assert.rejects(client.organization.federation.issuers.retrieve('fdis_01Nope000000000000000000'), NotFoundError);
    await assert.rejects(client.organization.federation.issuers.create({ name: 'sdk-issuer-inline', issuer_url: 'https://other.example' }), ConflictError);
    await assert.rejects(client.organization.federation.issuers.create({ name: 'bad', issuer_url: issuer.url, max_jwt_lifetime_seconds: 0 }), BadRequestError);
    await assert.rejects(client.organization.federation.issuers.update(created.id, { jwks_polling_disabled: true }), BadRequestError);
  });

  test('federation rules and rule workspaces: full lifecycle, issuer archive blocked while a rule is live', async () => {
    const fedIssuer = await client.organization.federation.issuers.create({
      name: 'rule-issuer',
      issuer_url: `${issuer.url}/rules`,
      jwks: { type: 'explicit_url', url: `${issuer.url}/jwks` },
    });
    const account = await client.organization.serviceAccounts.create({ name: 'rule-target' });
    const other = await client.organization.serviceAccounts.create({ name: 'rule-target-2' });
    const ws = await client.organization.workspaces.create({ name: 'rule-ws' });
    const ws2 = await client.organization.workspaces.create({ name: 'rule-ws-2' });
    await client.organization.serviceAccounts.workspaces.add(account.id, { workspace_id: ws.id, workspace_role: 'workspace_developer' });

    const rule = await client.organization.federation.rules.create({
      name: 'sdk-rule',
      description: 'deploys',
      issuer_id: fedIssuer.id,
      match: { subject_prefix: 'repo:acme/*', audience: 'https://api.anthropic.com', claims: { ref: 'main' } },
      oauth_scope: 'workspace:developer',
      target: { type: 'service_account', service_account_id: account.id },
      workspace_id: ws.id,
    });
    assert.match(rule.id, /^fdrl_01/);
    assert.equal(rule.type, 'federation_rule');
    assert.equal(rule.name, 'sdk-rule');
    assert.equal(rule.description, 'deploys');
    assert.equal(rule.issuer_id, fedIssuer.id);
    assert.equal(rule.issuer_name, 'rule-issuer');
    assert.deepEqual(rule.match, { audience: 'https://api.anthropic.com', subject_prefix: 'repo:acme/*', claims: { ref: 'main' }, condition: null });
    assert.deepEqual(rule.target, { type: 'service_account', service_account_id: account.id, service_account_name: 'rule-target' });
    assert.equal(rule.oauth_scope, 'workspace:developer');
    assert.equal(rule.token_lifetime_seconds, 3600);
    assert.equal(rule.applies_to_all_workspaces, false);
    assert.deepEqual(rule.workspace_ids, [ws.id]);
    const wire = rule as unknown as { workspace_id: string | null; attributes: unknown };
    assert.equal(wire.workspace_id, ws.id, 'beta superset: the single enabled workspace');
    assert.equal(wire.attributes, null);
    assert.equal(rule.created_by_actor_id, ACTOR);
    assert.deepEqual(await client.organization.federation.rules.retrieve(rule.id), rule);

    const updated = await client.organization.federation.rules.update(rule.id, {
      match: { condition: 'claims.ref == "main" && claims.sub.startsWith("repo:acme/")' },
      target: { type: 'service_account', service_account_id: other.id },
      token_lifetime_seconds: 60,
      description: null,
      workspace_id: ws2.id,
    });
    assert.deepEqual(updated.match, {
      audience: null,
      subject_prefix: null,
      claims: null,
      condition: 'claims.ref == "main" && claims.sub.startsWith("repo:acme/")',
    });
    assert.equal(updated.target.service_account_id, other.id);
    assert.equal(updated.target.service_account_name, 'rule-target-2');
    assert.equal(updated.token_lifetime_seconds, 60);
    assert.equal(updated.description, '');
    assert.deepEqual(updated.workspace_ids, [ws2.id], 'workspace_id replaces the single enablement');

    const enabled = await client.organization.federation.rules.workspaces.add(rule.id, { workspace_id: ws.id });
    assert.equal(enabled.type, 'federation_rule_workspace');
    assert.equal(enabled.federation_rule_id, rule.id);
    assert.equal(enabled.workspace_id, ws.id);
    assert.equal(enabled.workspace_name, null);
    assert.match(enabled.created_at, ISO);
    assert.equal(enabled.created_by_actor_id, ACTOR);
    const enabledAgain = await client.organization.federation.rules.workspaces.add(rule.id, { workspace_id: ws.id });
    assert.equal(enabledAgain.created_at, enabled.created_at, 'idempotent enable returns the existing enablement');
    const enablements = await collect(client.organization.federation.rules.workspaces.list(rule.id, { limit: 1 }));
    assert.deepEqual(
      enablements.map((e) => [e.workspace_id, e.workspace_name]).sort(),
      [
        [ws.id, 'rule-ws'],
        [ws2.id, 'rule-ws-2'],
      ].sort(),
    );
    await assert.rejects(
      client.organization.federation.rules.update(rule.id, { workspace_id: ws.id }),
      BadRequestError,
      'two enablements: use the sub-resource',
    );
    const disabled = await client.organization.federation.rules.workspaces.remove(ws2.id, { federation_rule_id: rule.id });
    assert.deepEqual(disabled, { type: 'federation_rule_workspace_deleted', federation_rule_id: rule.id, workspace_id: ws2.id });
    assert.deepEqual(await client.organization.federation.rules.workspaces.remove(ws2.id, { federation_rule_id: rule.id }), disabled);

    for (let i = 0; i < 2; i++) {
      await client.organization.federation.rules.create({
        name: `sdk-rule-page-${i}`,
        issuer_id: fedIssuer.id,
        match: { subject_prefix: `svc-${i}` },
        oauth_scope: 'workspace:inference',
        target: { type: 'service_account', service_account_id: account.id },
        applies_to_all_workspaces: true,
      });
    }
    const listed = await collect(client.organization.federation.rules.list({ limit: 1, issuer_id: fedIssuer.id }));
    assert.equal(listed.length, 3);
    assert.ok(listed.every((r) => r.issuer_id === fedIssuer.id && r.issuer_name === 'rule-issuer'));

    await assert.rejects(client.organization.federation.issuers.archive(fedIssuer.id), (err: unknown) => {
      assert.ok(err instanceof BadRequestError);
      assert.match(err.message, /live federation rule/);
      return true;
    });
    await assert.rejects(client.organization.serviceAccounts.archive(account.id), BadRequestError);
    await assert.rejects(
      client.organization.federation.rules.create({
        name: 'sdk-rule',
        issuer_id: fedIssuer.id,
        match: { subject_prefix: 'x' },
        oauth_scope: 'workspace:developer',
        target: { type: 'service_account', service_account_id: account.id },
        applies_to_all_workspaces: true,
      }),
      ConflictError,
    );
    await assert.rejects(
      client.organization.federation.rules.create({
        name: 'sdk-rule-bad',
        issuer_id: fedIssuer.id,
        match: { audience: 'only' },
        oauth_scope: 'workspace:developer',
        target: { type: 'service_account', service_account_id: account.id },
        applies_to_all_workspaces: true,
      }),
      BadRequestError,
    );
    await assert.rejects(client.organization.federation.rules.retrieve('fdrl_01Nope000000000000000000'), NotFoundError);

    const archived = await client.organization.federation.rules.archive(rule.id);
    assert.match(archived.archived_at ?? '', ISO);
    assert.deepEqual(archived.workspace_ids, [], 'archive clears the enablements');
    assert.equal((await client.organization.federation.rules.archive(rule.id)).archived_at, archived.archived_at);
    await assert.rejects(client.organization.federation.rules.update(rule.id, { name: 'late' }), BadRequestError);
    await assert.rejects(client.organization.federation.rules.workspaces.add(rule.id, { workspace_id: ws.id }), BadRequestError);

    for (const r of listed) await client.organization.federation.rules.archive(r.id);
    const archivedIssuer = await client.organization.federation.issuers.archive(fedIssuer.id);
    assert.match(archivedIssuer.archived_at ?? '', ISO, 'no live rule left: the issuer archives');
  });

  test('a caller without org:admin gets PermissionDeniedError; an unauthenticated one AuthenticationError', async () => {
    const chain = await createChain(client, issuer, { name: 'dev-only', oauthScope: 'workspace:developer', defaultWorkspaceId });
    const devClient = new Anthropic({
      baseURL: server.url,
      maxRetries: 0,
      config: {
        authentication: {
          type: 'oidc_federation',
          federation_rule_id: chain.ruleId,
          service_account_id: chain.serviceAccountId,
          identity_token: { source: 'file', path: await tokenFile(issuer, chain.subject) },
        },
        organization_id: server.organizationId,
      },
    });
    const org = await devClient.organization.retrieve();
    assert.equal(org.id, server.organizationId, 'any minted token may read its organization');
    await assert.rejects(devClient.organization.federation.issuers.list(), PermissionDeniedError);
    await assert.rejects(devClient.organization.serviceAccounts.create({ name: 'nope' }), PermissionDeniedError);
    await assert.rejects(adminClient(server, 'owif-not-a-real-token').organization.federation.issuers.list(), Anthropic.AuthenticationError);
  });

  test('token exchange via ANTHROPIC_* environment variables, then an API call with the minted token', async () => {
    const chain = await createChain(client, issuer, { name: 'env-chain', oauthScope: 'workspace:developer', defaultWorkspaceId });
    const path = await tokenFile(issuer, chain.subject);
    const org = await withAnthropicEnv(
      {
        ANTHROPIC_FEDERATION_RULE_ID: chain.ruleId,
        ANTHROPIC_ORGANIZATION_ID: server.organizationId,
        ANTHROPIC_SERVICE_ACCOUNT_ID: chain.serviceAccountId,
        ANTHROPIC_IDENTITY_TOKEN_FILE: path,
        ANTHROPIC_BASE_URL: server.url,
        ANTHROPIC_CONFIG_DIR: await emptyDir(),
      },
      async () => {
        const envClient = new Anthropic({ maxRetries: 0 });
        return envClient.organization.retrieve();
      },
    );
    assert.equal(org.id, server.organizationId);
    assert.equal(await successfulExchanges(server, chain.ruleId), 1, 'exactly one exchange through the rule');
    assert.equal(process.env['ANTHROPIC_FEDERATION_RULE_ID'], undefined, 'environment restored');
  });

  test('token exchange via a profile file selected with `profile:`', async () => {
    const chain = await createChain(client, issuer, { name: 'profile-chain', oauthScope: 'workspace:inference', defaultWorkspaceId });
    const configDir = await emptyDir();
    await writeProfile(configDir, 'ci', {
      version: '1.0',
      authentication: {
        type: 'oidc_federation',
        federation_rule_id: chain.ruleId,
        service_account_id: chain.serviceAccountId,
        identity_token: { source: 'file', path: await tokenFile(issuer, chain.subject) },
      },
      organization_id: server.organizationId,
      workspace_id: defaultWorkspaceId,
      base_url: server.url,
    });
    const org = await withAnthropicEnv({ ANTHROPIC_CONFIG_DIR: configDir }, async () => {
      const profileClient = new Anthropic({ profile: 'ci', maxRetries: 0 });
      return profileClient.organization.retrieve();
    });
    assert.equal(org.id, server.organizationId);
    assert.equal(await successfulExchanges(server, chain.ruleId), 1);
    const cached = JSON.parse(await readFileText(join(configDir, 'credentials', 'ci.json'))) as { access_token: string; type: string };
    assert.equal(cached.type, 'oauth_token');
    assert.match(cached.access_token, /^sk-ant-oat01-/, 'the SDK cached the token our server minted');
  });

  test('an org:admin rule mints a token that manages issuers through the SDK (`config` option)', async () => {
    const chain = await createChain(client, issuer, { name: 'admin-chain', oauthScope: 'org:admin', role: 'admin', defaultWorkspaceId });
    const workload = new Anthropic({
      baseURL: server.url,
      maxRetries: 0,
      config: {
        authentication: {
          type: 'oidc_federation',
          federation_rule_id: chain.ruleId,
          identity_token: { source: 'file', path: await tokenFile(issuer, chain.subject) },
        },
        organization_id: server.organizationId,
      },
    });
    assert.equal(await successfulExchanges(server, chain.ruleId), 0);
    const made = await workload.organization.federation.issuers.create({
      name: 'made-by-workload',
      issuer_url: 'https://idp.example/workload',
      jwks: { type: 'inline', keys: [issuer.key('RS256').publicJwk as Record<string, unknown>] },
    });
    assert.equal(made.created_by_actor_id, chain.serviceAccountId, 'actor is the service account');
    assert.equal(await successfulExchanges(server, chain.ruleId), 1, 'one exchange, then the cached token is reused');
    const listed = await collect(workload.organization.federation.issuers.list());
    assert.ok(listed.some((i) => i.id === made.id));
    // Workload restrictions (spec §2.2): no admin service accounts, no rules beyond workspace scopes.
    await assert.rejects(workload.organization.serviceAccounts.create({ name: 'wl-admin', organization_role: 'admin' }), PermissionDeniedError);
    await assert.rejects(workload.organization.federation.rules.archive(chain.ruleId), PermissionDeniedError);
    await assert.rejects(workload.organization.federation.issuers.update(chain.issuerId, { name: 'renamed-by-workload' }), PermissionDeniedError);
  });
});

async function emptyDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'openwif-sdk-'));
}

async function tokenFile(issuer: TestIssuer, subject: string): Promise<string> {
  const dir = await emptyDir();
  const path = join(dir, 'token');
  await writeFile(path, await identityToken(issuer, subject), { mode: 0o600 });
  return path;
}

async function writeProfile(configDir: string, name: string, config: unknown): Promise<void> {
  await mkdir(join(configDir, 'configs'), { recursive: true, mode: 0o700 });
  await writeFile(join(configDir, 'configs', `${name}.json`), JSON.stringify(config), { mode: 0o600 });
}

function readFileText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

async function successfulExchanges(server: TestServer, ruleId: string): Promise<number> {
  const page = await server.stores.authEvents.list(server.organizationId, { ruleId, outcome: 'success', reason: null, limit: 100, cursor: null });
  return page.items.length;
}
