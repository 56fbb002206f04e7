import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { computePlan } from '../../src/cli/config/plan.ts';
import { readFederationSpec } from '../../src/cli/config/read-spec.ts';
import { renderPlan } from '../../src/cli/config/render-plan.ts';
import { WorkspaceDirectory, type ServerState } from '../../src/cli/config/server-state.ts';
import { ConfigFileError, parseSourceDocument } from '../../src/cli/config/source-document.ts';
import { buildCli } from '../../src/cli/main.ts';
import { colorsFor } from '../../src/cli/output.ts';
import { renderRuleTest, testMatched } from '../../src/cli/commands/rule-diagnostics-format.ts';

const plain = colorsFor({ isTTY: false }, {});
const workspaces = new WorkspaceDirectory([
  { id: 'wrkspc_01default', name: 'Default', archived_at: null },
  { id: 'wrkspc_01teama', name: 'team-a', archived_at: null },
] as never);

const load = (file: string, text: string) => readFederationSpec(parseSourceDocument(file, text));
const FILE = JSON.stringify(
  {
    issuers: [{ name: 'gh', issuer_url: 'https://token.actions.githubusercontent.com' }],
    service_accounts: [{ name: 'sa', workspaces: [{ workspace: 'team-a', role: 'workspace_developer' }] }],
    rules: [
      {
        name: 'r',
        issuer: 'gh',
        match: { subject_prefix: 'repo:a/b:*' },
        target: { service_account: 'sa' },
        oauth_scope: 'workspace:inference',
        workspaces: ['team-a'],
      },
    ],
  },
  null,
  2,
);

function serverWith(overrides: Partial<ServerState> = {}): ServerState {
  return { issuers: [], serviceAccounts: [], rules: [], workspaces, ...overrides };
}

describe('plan (pure)', () => {
  it('fills API defaults so an identical server state is "no changes"', () => {
    const spec = load('f.json', FILE);
    const state = serverWith({
      issuers: [
        {
          id: 'fdis_1',
          spec: {
            name: 'gh',
            issuer_url: 'https://token.actions.githubusercontent.com',
            jwks: { type: 'discovery' },
            check_jti: true,
            max_jwt_lifetime_seconds: 3600,
          },
        },
      ],
      serviceAccounts: [
        {
          id: 'svac_1',
          spec: { name: 'sa', description: null, organization_role: 'developer', workspaces: [{ workspace: 'team-a', role: 'workspace_developer' }] },
        },
      ],
      rules: [
        {
          id: 'fdrl_1',
          spec: {
            name: 'r',
            issuer: 'gh',
            description: null,
            match: { subject_prefix: 'repo:a/b:*' },
            service_account: 'sa',
            oauth_scope: 'workspace:inference',
            token_lifetime_seconds: 3600,
            applies_to_all_workspaces: false,
            workspaces: ['team-a'],
          },
        },
      ],
    });
    const plan = computePlan(spec, state, { prune: false });
    assert.deepEqual(plan.steps, []);
    assert.equal(renderPlan(plan, plain), 'No changes: the server matches the file.');
  });

  it('replaces a rule whose issuer changed, removes extra memberships, orders enablement adds before the update', () => {
    const spec = load('f.json', FILE);
    const state = serverWith({
      issuers: [
        {
          id: 'fdis_1',
          spec: {
            name: 'gh',
            issuer_url: 'https://token.actions.githubusercontent.com',
            jwks: { type: 'discovery' },
            check_jti: true,
            max_jwt_lifetime_seconds: 3600,
          },
        },
      ],
      serviceAccounts: [
        {
          id: 'svac_1',
          spec: {
            name: 'sa',
            description: null,
            organization_role: 'developer',
            workspaces: [
              { workspace: 'Default', role: 'workspace_admin' },
              { workspace: 'team-a', role: 'workspace_user' },
            ],
          },
        },
      ],
      rules: [
        {
          id: 'fdrl_1',
          spec: {
            name: 'r',
            issuer: 'gh',
            description: null,
            match: { subject_prefix: 'repo:a/b:*' },
            service_account: 'sa',
            oauth_scope: 'workspace:inference',
            token_lifetime_seconds: 3600,
            applies_to_all_workspaces: true,
            workspaces: [],
          },
        },
      ],
    });
    const plan = computePlan(spec, state, { prune: false });
    assert.deepEqual(
      plan.steps.map((s) => `${s.kind}:${s.op}`),
      ['membership:update', 'membership:remove', 'enablement:add', 'rule:update'],
    );
    const text = renderPlan(plan, plain);
    assert.match(text, /~ membership: service account sa in workspace team-a: workspace_user → workspace_developer/);
    assert.match(text, /- membership: service account sa leaves workspace Default/);
    assert.match(text, /applies_to_all_workspaces: true → false/);

    const moved = computePlan(spec, { ...state, rules: [{ ...state.rules[0]!, spec: { ...state.rules[0]!.spec, issuer: 'old' } }] }, { prune: false });
    assert.ok(moved.steps.some((s) => s.kind === 'rule' && s.op === 'replace'));
  });

  it('prune archives rules before service accounts before issuers; without it they are only listed', () => {
    const spec = load('f.yaml', 'issuers: []\n');
    const state = serverWith({
      issuers: [{ id: 'fdis_1', spec: { name: 'i', issuer_url: 'u', jwks: { type: 'discovery' }, check_jti: true, max_jwt_lifetime_seconds: 3600 } }],
      serviceAccounts: [{ id: 'svac_1', spec: { name: 's', description: null, organization_role: 'developer', workspaces: [] } }],
      rules: [
        {
          id: 'fdrl_1',
          spec: {
            name: 'r',
            issuer: 'i',
            description: null,
            match: {},
            service_account: 's',
            oauth_scope: 'x',
            token_lifetime_seconds: 60,
            applies_to_all_workspaces: true,
            workspaces: [],
          },
        },
      ],
    });
    assert.deepEqual(
      computePlan(spec, state, { prune: true }).steps.map((s) => `${s.kind}:${s.op}`),
      ['rule:archive', 'service_account:archive', 'issuer:archive'],
    );
    const listed = computePlan(spec, state, { prune: false });
    assert.equal(listed.steps.length, 0);
    assert.equal(listed.unmanaged.length, 3);
  });

  it('an unknown or ambiguous workspace is an error at the file line', () => {
    const spec = load('f.json', FILE.replace('"workspaces": [\n        "team-a"\n      ]', '"workspaces": [\n        "team-b"\n      ]'));
    assert.throws(
      () => computePlan(spec, serverWith(), { prune: false }),
      (err: unknown) => err instanceof ConfigFileError && /^f\.json:31: workspace "team-b" does not exist/.test(err.message),
    );
    const twins = new WorkspaceDirectory([
      { id: 'w1', name: 'x', archived_at: null },
      { id: 'w2', name: 'x', archived_at: null },
    ] as never);
    assert.match(JSON.stringify(twins.resolve('x')), /ambiguous/);
  });

  it('read-spec rejects bad types, duplicate names and non-string claims with lines', () => {
    const text =
      'issuers:\n  - name: a\n    issuer_url: u\n    check_jti: "yes"\n  - name: a\n    issuer_url: v\nrules:\n  - name: r\n    issuer: a\n    match:\n      claims:\n        run_id: 5\n    target:\n      service_account: s\n    oauth_scope: x\n    applies_to_all_workspaces: true\n';
    assert.throws(
      () => load('c.yaml', text),
      (err: unknown) => {
        const message = (err as Error).message;
        assert.match(message, /c\.yaml:4: issuers\[0\]\.check_jti: expected true or false/);
        assert.match(message, /c\.yaml:5: issuers\[1\]\.name: duplicate name "a"/);
        assert.match(message, /c\.yaml:12: rules\[0\]\.match\.claims\.run_id: claim values must be strings/);
        assert.match(message, /c\.yaml:14: rules\[0\]\.target\.service_account: service account "s" is not declared/);
        return true;
      },
    );
    assert.throws(() => load('c.toml', ''), /unsupported file type/);
    assert.throws(() => load('c.json', '{\n  "issuers": [\n'), /c\.json:\d+: invalid JSON/);
  });
});

describe('rules test rendering', () => {
  it('prints each step and the verdict; failure drives the exit status', () => {
    const response = {
      matched: false,
      failure: 'match_subject_prefix',
      steps: [
        { step: 'audience', status: 'pass' },
        { step: 'subject_prefix', status: 'fail', hint: 'sub "repo:x" does not start with "repo:a"' },
        { step: 'claims', status: 'not_configured' },
      ],
    };
    const text = renderRuleTest(response, plain);
    assert.match(text, /^ {2}subject_prefix {2}FAIL {2}sub "repo:x" does not start with "repo:a"$/m);
    assert.match(text, /^ {2}claims {10}not configured$/m);
    assert.match(text, /NO MATCH \(match_subject_prefix\)$/);
    assert.equal(testMatched(response), false);
    assert.equal(testMatched({ outcome: 'success', steps: [] }), true);
  });
});

describe('help', () => {
  it('every command that runs something shows an example in --help', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => (text += chunk));
    const program = buildCli({ stdout: out, stderr: out, stdin: new PassThrough(), env: {}, now: () => new Date() });
    const missing: string[] = [];
    const visit = (command: Command, path: string) => {
      for (const sub of command.commands) {
        const name = `${path} ${sub.name()}`.trim();
        if (sub.commands.length > 0) visit(sub, name);
        else if (!['serve', 'dev', 'migrate', 'help'].includes(sub.name())) {
          text = '';
          sub.outputHelp();
          if (!/Examples:\n {2}\$ openwif /.test(text)) missing.push(name);
        }
      }
    };
    visit(program, '');
    assert.deepEqual(missing, []);
  });
});
