import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import { adminEnv, runCli } from './run-cli.ts';

const CONFIG = `# federation for the test org
issuers:
  - name: github
    issuer_url: https://token.actions.githubusercontent.com
service_accounts:
  - name: deployer
    description: CI deployments
    workspaces:
      - workspace: team-a
        role: workspace_developer
rules:
  - name: gh-main
    issuer: github
    match:
      subject_prefix: "repo:acme/api:ref:refs/heads/main"
      audience: https://api.anthropic.com
    target:
      service_account: deployer
    oauth_scope: workspace:inference
    token_lifetime_seconds: 600
    workspaces: [Default, team-a]
`;

describe('openwif plan / apply / export (real binary against a real server)', () => {
  let server: TestServer;
  let env: Record<string, string>;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    env = adminEnv(server);
    dir = mkdtempSync(join(tmpdir(), 'openwif-cli-'));
    const workspace = await runCli(['workspaces', 'create', '--name', 'team-a'], { env });
    assert.equal(workspace.code, 0, workspace.stderr);
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plan shows the creations, apply makes them, a second apply and plan are no-ops', async () => {
    const file = join(dir, 'openwif.yaml');
    writeFileSync(file, CONFIG);
    const plan = await runCli(['plan', '-f', file], { env });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /^\+ issuer github$/m);
    assert.match(plan.stdout, /^\+ service account deployer$/m);
    assert.match(plan.stdout, /^\+ membership: service account deployer in workspace team-a as workspace_developer$/m);
    assert.match(plan.stdout, /^\+ rule gh-main$/m);
    assert.match(plan.stdout, /workspaces: \["Default","team-a"\]/);
    assert.match(plan.stdout, /^Plan: 4 to create, 0 to update, 0 to archive or remove\.$/m);

    const applied = await runCli(['apply', '-f', file], { env });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /✓ created rule gh-main \(fdrl_\w+\)/);
    assert.match(applied.stdout, /Applied 4 step\(s\)\./);

    const again = await runCli(['apply', '-f', file, '--json'], { env });
    assert.equal(again.code, 0, again.stderr);
    const result = JSON.parse(again.stdout);
    assert.equal(result.changes, false);
    assert.deepEqual(result.applied, []);

    const rules = JSON.parse((await runCli(['rules', 'list', '--json'], { env })).stdout);
    assert.equal(rules.length, 1);
    assert.equal(rules[0].workspace_ids.length, 2);
  });

  it('plan shows an update as a field diff, and --prune archives what the file dropped', async () => {
    const file = join(dir, 'changed.yaml');
    writeFileSync(
      file,
      CONFIG.replace('token_lifetime_seconds: 600', 'token_lifetime_seconds: 900').replace('workspaces: [Default, team-a]', 'workspaces: [team-a]'),
    );
    const plan = await runCli(['plan', '-f', file], { env });
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /^~ rule gh-main\n {4}token_lifetime_seconds: 600 → 900$/m);
    assert.match(plan.stdout, /^- rule gh-main disabled in workspace Default$/m);

    const withoutRule = join(dir, 'no-rule.json');
    writeFileSync(
      withoutRule,
      JSON.stringify(
        {
          issuers: [{ name: 'github', issuer_url: 'https://token.actions.githubusercontent.com' }],
          service_accounts: [{ name: 'deployer', description: 'CI deployments' }],
        },
        null,
        2,
      ),
    );
    const unpruned = await runCli(['plan', '-f', withoutRule], { env });
    assert.match(unpruned.stdout, /No changes: the server matches the file\./);
    assert.match(unpruned.stdout, /1 object\(s\) on the server are not in the file .*--prune/);
    assert.match(unpruned.stdout, /rule gh-main \(fdrl_\w+\)/);
    const pruned = await runCli(['plan', '-f', withoutRule, '--prune'], { env });
    assert.match(pruned.stdout, /^- rule gh-main \(archive: not in the file\)$/m);
  });

  it('export writes a file whose apply is a no-op', async () => {
    const exported = join(dir, 'exported.yaml');
    const result = await runCli(['export', '-o', exported], { env });
    assert.equal(result.code, 0, result.stderr);
    const text = readFileSync(exported, 'utf8');
    assert.match(text, /^ {2}- name: gh-main$/m);
    assert.match(text, /service_account: deployer/);
    const apply = await runCli(['apply', '-f', exported], { env });
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /^No changes: the server matches the file\.$/m);
    assert.doesNotMatch(apply.stdout, /✓/);
  });

  it('validation errors name file:line and exit 2 without touching the server', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      CONFIG.replace('    issuer: github', '    issuer: gitlab').replace('oauth_scope: workspace:inference', 'oauth_scop: workspace:inference'),
    );
    const result = await runCli(['apply', '-f', file], { env });
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:13: rules\\[0\\]\\.issuer: issuer "gitlab" is not declared`));
    assert.match(result.stderr, /:19: rules\[0\].oauth_scop: unknown field "oauth_scop"/);

    const yamlError = join(dir, 'bad-syntax.yml');
    writeFileSync(yamlError, 'issuers:\n  - name: a\n    issuer_url: &anchor x\n');
    const syntax = await runCli(['plan', '-f', yamlError], { env });
    assert.equal(syntax.code, 2);
    assert.match(syntax.stderr, /bad-syntax\.yml:3: .*special meaning/);

    const unknownWorkspace = join(dir, 'ws.yaml');
    writeFileSync(unknownWorkspace, CONFIG.replace('[Default, team-a]', '[Default, team-z]'));
    const ws = await runCli(['plan', '-f', unknownWorkspace], { env });
    assert.equal(ws.code, 2);
    assert.match(ws.stderr, /ws\.yaml:21: workspace "team-z" does not exist/);
  });
});
