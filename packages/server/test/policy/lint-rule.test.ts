import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isEntraIssuer, LINT_CODES, lintRule, type LintCode, type LintInput } from '../../src/policy/lint-rule.ts';

const ENTRA_V2 = 'https://login.microsoftonline.com/11111111-1111-1111-1111-111111111111/v2.0';
const ENTRA_V1 = 'https://sts.windows.net/11111111-1111-1111-1111-111111111111/';
const K8S = 'https://kubernetes.default.svc.cluster.local';
const OID = '22222222-2222-2222-2222-222222222222';

/** A rule that triggers nothing: the baseline every case departs from. */
const clean: LintInput = {
  issuerUrl: K8S,
  match: { audience: 'https://api.anthropic.com', subject_prefix: 'system:serviceaccount:prod:api' },
  tokenLifetimeSeconds: 600,
  oauthScope: 'workspace:developer',
};

const codes = (input: LintInput): LintCode[] => lintRule(input).map((w) => w.code);

describe('lintRule', () => {
  test('a well-formed rule has no warnings', () => assert.deepEqual(lintRule(clean), []));

  const triggers: [LintCode, string, LintInput][] = [
    ['no_audience', 'match.audience', { ...clean, match: { subject_prefix: 'system:serviceaccount:prod:api' } }],
    ['long_token_lifetime', 'token_lifetime_seconds', { ...clean, tokenLifetimeSeconds: 3601 }],
    ['admin_scope', 'oauth_scope', { ...clean, oauthScope: 'workspace:developer org:admin' }],
    ['entra_no_oid', 'match.claims', { ...clean, issuerUrl: ENTRA_V2, match: { audience: 'app', claims: { tid: 't' } } }],
    ['entra_no_tid', 'match.claims', { ...clean, issuerUrl: ENTRA_V2, match: { audience: 'app', claims: { oid: OID } } }],
    [
      'entra_wildcard_subject',
      'match.subject_prefix',
      { ...clean, issuerUrl: ENTRA_V1, match: { audience: 'api://app', subject_prefix: '2222*', claims: { tid: 't', oid: OID } } },
    ],
    ['kubernetes_wildcard_namespace', 'match.subject_prefix', { ...clean, match: { audience: 'a', subject_prefix: 'system:serviceaccount:prod*' } }],
    [
      'github_wildcard_subject',
      'match.subject_prefix',
      { ...clean, issuerUrl: 'https://token.actions.githubusercontent.com', match: { audience: 'a', subject_prefix: 'repo:acme/api:*' } },
    ],
    [
      'google_wildcard_subject',
      'match.subject_prefix',
      { ...clean, issuerUrl: 'https://accounts.google.com', match: { audience: 'a', subject_prefix: '1234*' } },
    ],
    ['subject_prefix_inner_asterisk', 'match.subject_prefix', { ...clean, match: { audience: 'a', subject_prefix: 'spiffe://*/api' } }],
    ['claim_value_looks_like_glob', 'match.claims.ref', { ...clean, match: { audience: 'a', subject_prefix: 's', claims: { ref: 'refs/heads/*' } } }],
  ];
  for (const [code, field, input] of triggers) {
    test(`triggers ${code}`, () => {
      const warning = lintRule(input).find((w) => w.code === code);
      assert.ok(warning, `expected ${code} in ${JSON.stringify(codes(input))}`);
      assert.equal(warning.severity, 'warning');
      assert.equal(warning.field, field);
      assert.ok(warning.message.length > 10);
    });
  }

  test('every documented code has a trigger case', () => {
    assert.deepEqual([...new Set(triggers.map(([code]) => code))].sort(), [...LINT_CODES].sort());
  });

  const quiet: [string, LintCode, LintInput][] = [
    ['lifetime of exactly 3600', 'long_token_lifetime', { ...clean, tokenLifetimeSeconds: 3600 }],
    ['scope that merely contains admin text', 'admin_scope', { ...clean, oauthScope: 'workspace:org:administrator' }],
    ['Entra rule with oid claim', 'entra_no_oid', { ...clean, issuerUrl: ENTRA_V2, match: { audience: 'app', claims: { oid: OID, tid: 't' } } }],
    ['Entra rule with azp claim', 'entra_no_oid', { ...clean, issuerUrl: ENTRA_V2, match: { audience: 'app', claims: { azp: 'client', tid: 't' } } }],
    [
      'Entra v1 rule with appid in condition',
      'entra_no_oid',
      { ...clean, issuerUrl: ENTRA_V1, match: { audience: 'api://app', condition: 'claims.appid == "c" && claims.tid == "t"' } },
    ],
    ['Entra rule with exact subject', 'entra_no_oid', { ...clean, issuerUrl: ENTRA_V2, match: { audience: 'app', subject_prefix: OID, claims: { tid: 't' } } }],
    [
      'Entra tid via condition',
      'entra_no_tid',
      { ...clean, issuerUrl: ENTRA_V2, match: { audience: 'app', claims: { oid: OID }, condition: 'claims.tid == "t"' } },
    ],
    [
      'namespace-scoped Kubernetes wildcard',
      'kubernetes_wildcard_namespace',
      { ...clean, match: { audience: 'a', subject_prefix: 'system:serviceaccount:prod:*' } },
    ],
    [
      'GitHub exact subject',
      'github_wildcard_subject',
      { ...clean, issuerUrl: 'https://token.actions.githubusercontent.com', match: { audience: 'a', subject_prefix: 'repo:acme/api:ref:refs/heads/main' } },
    ],
    ['non-Entra issuer with only claims.tid', 'entra_no_oid', { ...clean, match: { audience: 'a', claims: { tid: 't' } } }],
  ];
  for (const [name, code, input] of quiet) {
    test(`does not trigger ${code}: ${name}`, () => assert.ok(!codes(input).includes(code), JSON.stringify(codes(input))));
  }

  test('an Entra rule with only audience + tid gets the oid warning (spec §10.4)', () => {
    const found = codes({ ...clean, issuerUrl: ENTRA_V2, match: { audience: 'app', claims: { tid: 't' } } });
    assert.deepEqual(found, ['entra_no_oid']);
  });

  test('Entra without audience gets the Entra-specific no_audience text', () => {
    const warning = lintRule({ ...clean, issuerUrl: ENTRA_V2, match: { claims: { oid: OID, tid: 't' } } }).find((w) => w.code === 'no_audience');
    assert.match(warning?.message ?? '', /app ID/);
  });
});

describe('isEntraIssuer', () => {
  const cases: [string, boolean][] = [
    [ENTRA_V2, true],
    [ENTRA_V1, true],
    ['https://LOGIN.microsoftonline.com/x/v2.0', true],
    ['https://login.microsoftonline.com.evil.example/x', false],
    ['https://evil.example/login.microsoftonline.com', false],
    ['not a url', false],
    [K8S, false],
  ];
  for (const [url, expected] of cases) test(`${url} → ${expected}`, () => assert.equal(isEntraIssuer(url), expected));
});
