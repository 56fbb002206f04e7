import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConditionCompiler, RuleValidationError } from '../../src/policy/cel-condition.ts';
import { compileRuleMatch, type RuleMatch } from '../../src/policy/match-rule.ts';

const conditions = new ConditionCompiler();
const opts = { defaultAudiences: ['https://api.anthropic.com', 'https://wif.example.com'] };
const compile = (match: RuleMatch) => compileRuleMatch(match, { conditions });

describe('compileRuleMatch validation (spec §4.3)', () => {
  const invalid: [string, unknown, string, RegExp][] = [
    ['empty match', {}, 'match', /at least one of/],
    ['audience alone', { audience: 'aud' }, 'match', /audience alone/],
    ['wildcard-only subject', { subject_prefix: '*' }, 'match', /matches every subject/],
    ['wildcard-only subject with audience', { subject_prefix: '*', audience: 'x' }, 'match', /matches every subject/],
    ['empty claims object does not count', { claims: {} }, 'match', /at least one of/],
    ['all null', { audience: null, subject_prefix: null, claims: null, condition: null }, 'match', /at least one of/],
    ['not an object', 'repo:*', 'match', /must be an object/],
    ['array', [], 'match', /must be an object/],
    ['unknown field (typo)', { subject_prefx: 'repo:a/b' }, 'match.subject_prefx', /unknown match field/],
    ['attributes are not a match field', { subject_prefix: 'x', attributes: {} }, 'match.attributes', /unknown match field/],
    ['empty subject', { subject_prefix: '' }, 'match.subject_prefix', /must not be empty/],
    ['empty audience', { audience: '', subject_prefix: 'x' }, 'match.audience', /must not be empty/],
    ['subject too long', { subject_prefix: 'a'.repeat(1025) }, 'match.subject_prefix', /too long/],
    ['audience too long', { audience: 'a'.repeat(1025), subject_prefix: 'x' }, 'match.audience', /too long/],
    ['audience not a string', { audience: ['a'], subject_prefix: 'x' }, 'match.audience', /must be a string/],
    ['subject not a string', { subject_prefix: 7 }, 'match.subject_prefix', /must be a string/],
    ['claims as array', { claims: ['a'] }, 'match.claims', /object of string values/],
    ['claims value number', { claims: { run_number: 1 } }, 'match.claims.run_number', /must be strings/],
    ['claims value boolean', { claims: { email_verified: true } }, 'match.claims.email_verified', /must be strings/],
    ['claims value null', { claims: { a: null } }, 'match.claims.a', /must be strings/],
    ['claims value object', { claims: { a: { b: 'c' } } }, 'match.claims.a', /must be strings/],
    ['claims empty key', { claims: { '': 'x' } }, 'match.claims', /must not be empty/],
    ['claims key too long', { claims: { ['k'.repeat(257)]: 'x' } }, 'match.claims', /too long/],
    ['claims value too long', { claims: { k: 'v'.repeat(1025) } }, 'match.claims.k', /too long/],
    ['too many claims', { claims: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`c${i}`, 'v'])) }, 'match.claims', /too many/],
    ['condition not a string', { condition: 1 }, 'match.condition', /must be a string/],
    ['condition constant true', { condition: 'true' }, 'match.condition', /reference the token/],
    ['condition syntax error', { condition: 'claims.sub ==' }, 'match.condition', /syntax error/],
  ];
  for (const [name, match, field, message] of invalid) {
    test(`rejects: ${name}`, () => {
      assert.throws(
        () => compile(match as RuleMatch),
        (err: unknown) => {
          assert.ok(err instanceof RuleValidationError);
          assert.equal(err.field, field);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  const valid: [string, RuleMatch][] = [
    ['exact subject', { subject_prefix: 'system:serviceaccount:prod:api' }],
    ['subject prefix', { subject_prefix: 'repo:acme/*', audience: 'x' }],
    ['literal asterisk prefix', { subject_prefix: '**' }],
    ['claims only', { claims: { oid: '00000000-0000-0000-0000-000000000001' } }],
    ['condition only', { condition: 'claims.sub == "a"' }],
    [
      'limits exactly',
      {
        subject_prefix: 'a'.repeat(1024),
        audience: 'b'.repeat(1024),
        claims: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(256, 'k'), 'v'.repeat(1024)])),
      },
    ],
  ];
  for (const [name, match] of valid) {
    test(`accepts: ${name}`, () => {
      const compiled = compile(match);
      assert.equal(compiled.match.subject_prefix, match.subject_prefix ?? null);
      assert.ok(Object.isFrozen(compiled.match));
    });
  }
});

describe('check()', () => {
  const rule = compile({
    audience: 'https://api.anthropic.com',
    subject_prefix: 'repo:acme/*',
    claims: { repository_owner: 'acme', run_attempt: '1' },
    condition: 'claims.ref == "refs/heads/main"',
  });
  const good = {
    aud: 'https://api.anthropic.com',
    sub: 'repo:acme/api:ref:refs/heads/main',
    repository_owner: 'acme',
    run_attempt: '1',
    ref: 'refs/heads/main',
  };
  const cases: [string, Record<string, unknown>, string | null][] = [
    ['all steps pass', good, null],
    ['aud array containing the audience', { ...good, aud: ['other', 'https://api.anthropic.com'] }, null],
    ['aud mismatch', { ...good, aud: 'https://api.anthropic.com/' }, 'match_audience'],
    ['aud missing', { ...good, aud: undefined }, 'match_audience'],
    ['aud array without the audience', { ...good, aud: ['a', 'b'] }, 'match_audience'],
    ['aud empty array', { ...good, aud: [] }, 'match_audience'],
    ['aud number', { ...good, aud: 1 }, 'match_audience'],
    ['aud nested array is not flattened', { ...good, aud: [['https://api.anthropic.com']] }, 'match_audience'],
    ['aud case differs', { ...good, aud: 'HTTPS://api.anthropic.com' }, 'match_audience'],
    ['subject outside prefix', { ...good, sub: 'repo:acme-evil/api:ref:refs/heads/main' }, 'match_subject_prefix'],
    ['subject case differs', { ...good, sub: 'repo:ACME/api' }, 'match_subject_prefix'],
    ['subject missing', { ...good, sub: undefined }, 'match_subject_prefix'],
    ['subject not a string', { ...good, sub: ['repo:acme/api'] }, 'match_subject_prefix'],
    ['claim value differs', { ...good, repository_owner: 'acme-evil' }, 'match_claims'],
    ['claim number never equals string (no coercion)', { ...good, run_attempt: 1 }, 'match_claims'],
    ['claim boolean vs string', { ...good, repository_owner: true }, 'match_claims'],
    ['claim list containing the value', { ...good, repository_owner: ['acme'] }, 'match_claims'],
    ['claim missing', { ...good, repository_owner: undefined }, 'match_claims'],
    ['claim with trailing space', { ...good, repository_owner: 'acme ' }, 'match_claims'],
    ['condition false', { ...good, ref: 'refs/heads/dev' }, 'match_condition'],
    ['condition runtime error (missing claim)', { ...good, ref: undefined }, 'match_condition'],
    ['first failure wins (audience before subject)', { ...good, aud: 'x', sub: 'x' }, 'match_audience'],
  ];
  for (const [name, claims, expected] of cases) {
    test(name, () => {
      const cleaned = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
      assert.equal(rule.check(cleaned, opts), expected);
      assert.equal(rule.explain(cleaned, opts).failure, expected, 'explain agrees with check');
    });
  }

  test('exact subject does not prefix-match', () => {
    const exact = compile({ subject_prefix: 'system:serviceaccount:prod:api' });
    const base = { aud: 'https://api.anthropic.com' };
    assert.equal(exact.check({ ...base, sub: 'system:serviceaccount:prod:api' }, opts), null);
    assert.equal(exact.check({ ...base, sub: 'system:serviceaccount:prod:api2' }, opts), 'match_subject_prefix');
    assert.equal(exact.check({ ...base, sub: 'system:serviceaccount:prod:ap' }, opts), 'match_subject_prefix');
  });

  test('only a trailing * is a wildcard', () => {
    const literal = compile({ subject_prefix: 'a*b' });
    const base = { aud: 'https://api.anthropic.com' };
    assert.equal(literal.check({ ...base, sub: 'a*b' }, opts), null);
    assert.equal(literal.check({ ...base, sub: 'axxb' }, opts), 'match_subject_prefix');
  });

  test('default audiences apply when the rule has none', () => {
    const noAudience = compile({ subject_prefix: 'svc' });
    assert.equal(noAudience.check({ sub: 'svc', aud: 'https://wif.example.com' }, opts), null);
    assert.equal(noAudience.check({ sub: 'svc', aud: ['x', 'https://api.anthropic.com'] }, opts), null);
    assert.equal(noAudience.check({ sub: 'svc', aud: 'api://other-app' }, opts), 'match_audience');
    assert.equal(noAudience.check({ sub: 'svc' }, opts), 'match_audience');
    assert.equal(noAudience.check({ sub: 'svc', aud: 'https://api.anthropic.com' }, { defaultAudiences: [] }), 'match_audience');
  });

  test('prototype-named claims do not resolve to Object.prototype', () => {
    const proto = compile({ claims: { constructor: 'x', toString: 'y' } });
    assert.equal(proto.check({ aud: 'https://api.anthropic.com' }, opts), 'match_claims');
    assert.equal(proto.check({ aud: 'https://api.anthropic.com', constructor: 'x', toString: 'y' }, opts), null);
  });
});

describe('explain()', () => {
  const rule = compile({
    audience: 'api://app',
    subject_prefix: 'repo:acme/api:ref:refs/heads/main',
    claims: { repository_owner: 'acme', run_attempt: '1' },
    condition: 'claims.env == "prod"',
  });

  test('reports every step, not just the first failure', () => {
    const result = rule.explain({ aud: ['x', 'y'], sub: 'repo:acme/api:ref:refs/heads/mainline', repository_owner: 'acme', run_attempt: 1, env: 'dev' }, opts);
    assert.equal(result.failure, 'match_audience');
    assert.deepEqual(
      result.steps.map((s) => [s.step, s.status]),
      [
        ['audience', 'fail'],
        ['subject_prefix', 'fail'],
        ['claims', 'fail'],
        ['condition', 'fail'],
      ],
    );
    const [audience, subject, claims, condition] = result.steps;
    assert.match(audience?.hint ?? '', /expected aud "api:\/\/app", got \["x", "y"\]/);
    assert.match(subject?.hint ?? '', /4 extra characters/);
    assert.match(claims?.hint ?? '', /run_attempt: expected the string "1", got 1 \(number\)/);
    assert.match(condition?.hint ?? '', /evaluated to false/);
  });

  test('subject hint names the matching length', () => {
    const step = rule.explain({ aud: 'api://app', sub: 'repo:acme/apx:ref', repository_owner: 'acme', run_attempt: '1', env: 'prod' }, opts).steps[1];
    assert.equal(step?.status, 'fail');
    assert.match(step?.hint ?? '', /differs after 12 matching characters/);
  });

  test('passes and unconfigured steps', () => {
    const minimal = compile({ subject_prefix: 'svc*' });
    const result = minimal.explain({ aud: 'https://api.anthropic.com', sub: 'svc-1' }, opts);
    assert.equal(result.failure, null);
    assert.deepEqual(
      result.steps.map((s) => s.status),
      ['pass', 'pass', 'not_configured', 'not_configured'],
    );
  });

  test('hints truncate long values and strip control characters', () => {
    const result = rule.explain({ aud: `evil\u001b[31m${'x'.repeat(500)}`, sub: 'x' }, opts);
    const hint = result.steps[0]?.hint ?? '';
    assert.ok(!hint.includes('\u001b'), 'no escape sequences');
    assert.ok(hint.length < 300, `hint length ${hint.length}`);
  });

  test('missing claims and runtime errors are named', () => {
    const result = rule.explain({ aud: 'api://app', sub: 'repo:acme/api:ref:refs/heads/main' }, opts);
    assert.match(result.steps[2]?.hint ?? '', /repository_owner: missing/);
    assert.match(result.steps[3]?.hint ?? '', /did not match/);
  });
});
