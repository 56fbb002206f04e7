import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RuleMatch } from '../../src/policy/match-rule.ts';
import { checkTenantPinning, findSharedIssuer, SHARED_ISSUERS } from '../../src/policy/shared-issuers.ts';

const GITHUB = 'https://token.actions.githubusercontent.com';
const GITLAB = 'https://gitlab.com';
const BUILDKITE = 'https://agent.buildkite.com';
const TFC = 'https://app.terraform.io';
const GOOGLE = 'https://accounts.google.com';

describe('findSharedIssuer', () => {
  const cases: [string, string | undefined][] = [
    [GITHUB, 'GitHub Actions'],
    [`${GITHUB}/`, 'GitHub Actions'],
    ['HTTPS://Token.Actions.GitHubUserContent.com', 'GitHub Actions'],
    [GITLAB, 'GitLab'],
    [BUILDKITE, 'Buildkite'],
    [TFC, 'Terraform Cloud'],
    [GOOGLE, 'Google'],
    ['accounts.google.com', 'Google'],
    ['https://token.actions.githubusercontent.com/acme-enterprise', undefined],
    ['https://gitlab.example.com', undefined],
    ['https://login.microsoftonline.com/tid/v2.0', undefined],
    ['https://gitlab.com.evil.example', undefined],
  ];
  for (const [url, platform] of cases) {
    test(`${url} → ${platform ?? 'not shared'}`, () => assert.equal(findSharedIssuer(url)?.platform, platform));
  }

  test('every platform from spec §10.9 is listed', () => {
    assert.deepEqual(
      SHARED_ISSUERS.map((i) => i.platform),
      ['GitHub Actions', 'GitLab', 'Buildkite', 'Terraform Cloud', 'Google'],
    );
  });
});

describe('checkTenantPinning', () => {
  const pinned: [string, string, RuleMatch][] = [
    ['GitHub repository_owner claim', GITHUB, { subject_prefix: 'repo:*', claims: { repository_owner: 'acme' } }],
    ['GitHub repository_id claim', GITHUB, { claims: { repository_id: '123' } }],
    ['GitHub enterprise claim', GITHUB, { claims: { enterprise: 'acme-ent' } }],
    ['GitHub owner prefix', GITHUB, { subject_prefix: 'repo:acme/*' }],
    ['GitHub exact subject', GITHUB, { subject_prefix: 'repo:acme/api:ref:refs/heads/main' }],
    ['GitHub exact sub in claims', GITHUB, { claims: { sub: 'repo:acme/api:environment:prod' } }],
    ['GitHub condition on repository_owner', GITHUB, { condition: 'claims.repository_owner == "acme"' }],
    ['GitHub condition with index syntax', GITHUB, { condition: 'claims["repository_owner_id"] == "42"' }],
    ['GitHub condition in an && chain', GITHUB, { condition: 'claims.ref == "refs/heads/main" && claims.repository in ["acme/a", "acme/b"]' }],
    ['GitLab namespace_path', GITLAB, { claims: { namespace_path: 'acme' } }],
    ['GitLab project prefix', GITLAB, { subject_prefix: 'project_path:acme/*' }],
    ['Buildkite organization prefix', BUILDKITE, { subject_prefix: 'organization:acme:pipeline:deploy*' }],
    ['Buildkite organization_slug', BUILDKITE, { claims: { organization_slug: 'acme' } }],
    ['Terraform Cloud organization prefix', TFC, { subject_prefix: 'organization:acme:*' }],
    ['Terraform Cloud organization id', TFC, { claims: { terraform_organization_id: 'org-1' } }],
    ['Google exact sub', GOOGLE, { subject_prefix: '112233445566778899' }],
    ['Google email claim', GOOGLE, { claims: { email: 'svc@proj.iam.gserviceaccount.com' } }],
    ['Google nested project id in condition', GOOGLE, { condition: 'claims.google.compute_engine.project_id == "p1"' }],
    ['tenant-specific issuer needs nothing', 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC', { subject_prefix: 'system:*' }],
  ];
  for (const [name, issuer, match] of pinned) {
    test(`accepts: ${name}`, () => assert.equal(checkTenantPinning(issuer, match), null));
  }

  const unpinned: [string, string, RuleMatch][] = [
    ['GitHub wildcard after repo:', GITHUB, { subject_prefix: 'repo:*' }],
    ['GitHub owner without slash (acme-evil also matches)', GITHUB, { subject_prefix: 'repo:acme*' }],
    ['GitHub empty owner', GITHUB, { subject_prefix: 'repo:/api' }],
    ['GitHub literal * in owner', GITHUB, { subject_prefix: 'repo:*/api*' }],
    ['GitHub non-identity claim', GITHUB, { claims: { ref: 'refs/heads/main', workflow: 'deploy' } }],
    ['GitHub empty identity value', GITHUB, { claims: { repository_owner: '' } }],
    ['GitHub sub claim without owner', GITHUB, { claims: { sub: 'repo:*' } }],
    ['GitHub claim name only inside a string literal', GITHUB, { condition: 'claims.sub == "claims.repository_owner"' }],
    ['GitHub has() only', GITHUB, { condition: 'has(claims.repository_owner) && claims.ref == "refs/heads/main"' }],
    ['GitHub reference under ||', GITHUB, { condition: 'claims.repository_owner == "acme" || claims.ref == "refs/heads/main"' }],
    ['GitHub reference under !=', GITHUB, { condition: 'claims.repository_owner != "evil" && claims.ref == "refs/heads/main"' }],
    ['GitHub reference negated', GITHUB, { condition: '!(claims.repository_owner == "evil")' }],
    ['GitHub reference inside a comprehension', GITHUB, { condition: '[].all(x, claims.repository_owner == "acme") && claims.ref == "r"' }],
    ['GitHub unparseable condition', GITHUB, { condition: 'claims.repository_owner ==' }],
    ['GitHub sub-only condition', GITHUB, { condition: 'claims.sub.startsWith("repo:")' }],
    ['GitLab wildcard project path', GITLAB, { subject_prefix: 'project_path:*' }],
    ['GitLab group without slash', GITLAB, { subject_prefix: 'project_path:acme*' }],
    ['Buildkite organization without delimiter', BUILDKITE, { subject_prefix: 'organization:acme*' }],
    ['Terraform Cloud wildcard organization', TFC, { subject_prefix: 'organization:*' }],
    ['Google wildcard subject', GOOGLE, { subject_prefix: '1122*' }],
    ['Google email_verified only', GOOGLE, { claims: { email_verified: 'true' } }],
    ['trailing-slash issuer variant is still shared', `${GITHUB}/`, { subject_prefix: 'repo:*' }],
  ];
  for (const [name, issuer, match] of unpinned) {
    test(`rejects: ${name}`, () => {
      const message = checkTenantPinning(issuer, match);
      assert.ok(message !== null, 'expected a pinning error');
      assert.match(message, /must pin your tenant/);
      assert.ok(message.includes(findSharedIssuer(issuer)?.platform ?? '?'));
    });
  }
});
