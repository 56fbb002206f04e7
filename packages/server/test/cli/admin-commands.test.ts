import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { adminEnv, runCli } from './run-cli.ts';

describe('openwif admin commands (real binary against a real server)', () => {
  let server: TestServer;
  let env: Record<string, string>;
  before(async () => {
    server = await startTestServer();
    env = adminEnv(server);
  });
  after(async () => server.close());

  it('creates, lists and gets an issuer; --json is parseable', async () => {
    const created = await runCli(
      ['issuers', 'create', '--name', 'gh-actions', '--issuer-url', 'https://token.actions.githubusercontent.com', '--max-jwt-lifetime', '900', '--json'],
      { env },
    );
    assert.equal(created.code, 0, created.stderr);
    const issuer = JSON.parse(created.stdout);
    assert.match(issuer.id, /^fdis_/);
    assert.equal(issuer.max_jwt_lifetime_seconds, 900);

    const listed = await runCli(['issuers', 'list'], { env });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME\s+ID\s+ISSUER URL/m);
    assert.match(listed.stdout, new RegExp(`gh-actions\\s+${issuer.id}\\s+https://token\\.actions\\.githubusercontent\\.com\\s+discovery`));

    const got = await runCli(['issuers', 'get', issuer.id], { env });
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /^max_jwt_lifetime_seconds: 900$/m);
  });

  it('reports an API error with status, type, message and request ID, exit 1', async () => {
    const result = await runCli(['issuers', 'get', 'fdis_01doesnotexist0000000000'], { env });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^openwif: 404 not_found_error: .*\(request req_\w+\)$/m);
    assert.equal(result.stdout, '');
  });

  it('a wrong admin token gets 401 and is never echoed', async () => {
    const result = await runCli(['service-accounts', 'list'], { env: { ...env, ANTHROPIC_AUTH_TOKEN: 'owif-admin-wrong-secret-value-123456789' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /401 authentication_error/);
    assert.doesNotMatch(result.stderr + result.stdout, /wrong-secret-value/);
  });

  it('usage errors exit 2: no server URL, bad --body JSON, unknown command', async () => {
    const noUrl = await runCli(['issuers', 'list'], { env: { ANTHROPIC_AUTH_TOKEN: 'x' } });
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /no server URL: pass --base-url or set ANTHROPIC_BASE_URL/);

    const badBody = await runCli(['service-accounts', 'create', '--body', '{"name":'], { env });
    assert.equal(badBody.code, 2);
    assert.match(badBody.stderr, /--body: not valid JSON/);

    const unknown = await runCli(['issuers', 'lsit'], { env });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'lsit'/);
  });

  it('service accounts, workspaces and memberships round-trip through their sub-commands', async () => {
    const workspace = JSON.parse((await runCli(['workspaces', 'create', '--name', 'team-a', '--json'], { env })).stdout);
    const account = await runCli(['service-accounts', 'create', '--name', 'inference-worker', '--description', 'batch', '--json'], { env });
    assert.equal(account.code, 0, account.stderr);
    const sa = JSON.parse(account.stdout);

    const added = await runCli(['service-accounts', 'workspaces', 'add', sa.id, workspace.id, '--role', 'workspace_developer'], { env });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /workspace_role:\s+workspace_developer/);

    const viaWorkspace = await runCli(['workspaces', 'service-accounts', 'get', workspace.id, sa.id, '--json'], { env });
    assert.equal(JSON.parse(viaWorkspace.stdout).workspace_role, 'workspace_developer');

    const badRole = await runCli(['service-accounts', 'workspaces', 'add', sa.id, workspace.id, '--role', 'workspace_billing'], { env });
    assert.equal(badRole.code, 2);
    assert.match(badRole.stderr, /--role: expected one of/);

    const updated = await runCli(['service-accounts', 'update', sa.id, '--description', '', '--json'], { env });
    assert.equal(updated.code, 0, updated.stderr);
    assert.ok(['', null].includes(JSON.parse(updated.stdout).description));
  });

  it('creates a rule from flags, lists its workspaces, refuses an invalid match with the server message', async () => {
    const issuers = JSON.parse((await runCli(['issuers', 'list', '--json'], { env })).stdout);
    const sas = JSON.parse((await runCli(['service-accounts', 'list', '--json'], { env })).stdout);
    const workspaceId = (await runCli(['workspaces', 'list', '--json'], { env })).stdout;
    const defaultWorkspace = JSON.parse(workspaceId).find((w: { name: string }) => w.name === 'Default');
    const args = [
      'rules',
      'create',
      '--name',
      'gh-deploy',
      '--issuer',
      issuers[0].id,
      '--service-account',
      sas[0].id,
      '--scope',
      'workspace:inference',
      '--audience',
      'https://api.anthropic.com',
      '--workspace',
      defaultWorkspace.id,
    ];
    const created = await runCli([...args, '--subject-prefix', 'repo:acme/api:*', '--json'], { env });
    assert.equal(created.code, 0, created.stderr);
    const rule = JSON.parse(created.stdout);
    assert.deepEqual(rule.match.subject_prefix, 'repo:acme/api:*');

    const enabled = await runCli(['rules', 'workspaces', 'list', rule.id], { env });
    assert.match(enabled.stdout, new RegExp(`Default\\s+${defaultWorkspace.id}`));

    const rejected = await runCli([...args.map((a) => (a === 'gh-deploy' ? 'gh-too-wide' : a)), '--subject-prefix', '*'], { env });
    assert.equal(rejected.code, 1);
    assert.match(rejected.stderr, /400 invalid_request_error: .*subject_prefix/);
  });

  it('rules test/lint on an unknown rule explain the 404 (the diagnostics are an extension)', async () => {
    const result = await runCli(['rules', 'test', 'fdrl_01unknown00000000000000', '--claims', '{"sub":"x"}'], { env });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /404 .*either the rule does not exist, or this server lacks the OpenWIF diagnostics extension/);
    const usage = await runCli(['rules', 'test', 'fdrl_01x', '--claims', '{}', '--token', '-'], { env });
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /exactly one of --token/);
  });
});
