import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConditionCompiler, RuleValidationError } from '../../src/policy/cel-condition.ts';
import { RegexCache } from '../../src/policy/regex-cache.ts';

const compiler = new ConditionCompiler();

function rejection(source: string, c: ConditionCompiler = compiler): RuleValidationError {
  try {
    c.compileCondition(source);
  } catch (err) {
    assert.ok(err instanceof RuleValidationError, `expected RuleValidationError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(source.slice(0, 80))} to be rejected`);
}

describe('compileCondition rejects', () => {
  const cases: [string, string, RegExp][] = [
    ['too long', `claims.sub == "${'a'.repeat(4090)}"`, /too long/],
    ['empty', '   ', /empty/],
    ['syntax error with position', 'claims.sub ==', /syntax error at line 1, column 12/],
    ['syntax error on line 2', 'claims.sub == "a" &&\n  claims.x ==', /line 2, column/],
    ['unterminated string', 'claims.sub == "abc', /syntax error/],
    ['unknown identifier', 'request.auth == "x"', /unknown identifier "request"/],
    ['unknown identifier beside claims', 'claims.sub == other', /unknown identifier "other"/],
    ['loop variable used outside its macro', 'claims.g.exists(x, x == "a") && x == "a"', /unknown identifier "x"/],
    ['claims as loop variable', 'claims.g.exists(claims, claims == "a")', /loop variable/],
    ['literal true', 'true', /reference the token/],
    ['constant comparison', '1 == 1', /reference the token/],
    ['constant false', '"a" == "b"', /reference the token/],
    ['true or-ed with a claim test', 'true || claims.x == "a"', /always true/],
    ['claim test or-ed with constant-true expression', 'claims.x == "a" || 2 > 1', /always true/],
    ['negated false', '!false || claims.x == "a"', /always true/],
    ['and-ed with false', 'claims.x == "a" && false', /always false/],
    ['ternary with constant condition', 'true ? true : claims.x == "a"', /always true/],
    ['string literal result', '"claims.sub"', /boolean/],
    ['int literal result', '42', /boolean/],
    ['arithmetic at the top', 'claims.n + 1', /boolean/],
    ['size at the top', 'size(claims.groups)', /boolean/],
    ['bare claims map', 'claims', /boolean/],
    ['list result', '[claims.sub]', /boolean/],
    ['map() result', 'claims.groups.map(g, g == "a")', /boolean/],
    ['ternary with non-bool branches', 'claims.a == "x" ? "yes" : "no"', /boolean/],
    ['unknown function (typo)', 'claims.sub.startswith("repo:")', /unsupported function or operator "startswith"/],
    ['extension function not enabled', 'claims.sub.lowerAscii() == "a"', /unsupported function/],
    ['cel.bind extension', 'cel.bind(x, claims.sub, x == "a")', /unsupported function|unknown identifier/],
    ['message construction', 'google.protobuf.Timestamp{seconds: 1} == claims.t', /message construction/],
    ['invalid regex literal', 'claims.sub.matches("(unclosed")', /invalid regular expression/],
    ['invalid regex, function form', 'matches(claims.sub, "[z-a]")', /invalid regular expression/],
    ['regex from the token', 'claims.sub.matches(claims.pattern)', /string literal pattern/],
    ['regex with a huge program (counted repetition)', 'claims.sub.matches("^(a{1,10}){1,100}$")', /too complex \(2203 RE2 instructions/],
    ['regex too long', `claims.sub.matches("${'a'.repeat(600)}")`, /regular expression is too long/],
    ['too many regexes', Array.from({ length: 17 }, (_, i) => `claims.s${i}.matches("^a")`).join(' && '), /too many matches/],
    ['string literal too long', `claims.sub in ["${'a'.repeat(1100)}"]`, /string literal is too long/],
    ['three nested comprehensions', 'claims.a.all(x, claims.b.all(y, claims.c.all(z, x == y && y == z)))', /nested comprehensions/],
    ['nesting inside a non-loop part of the macro', '[1].all(x, [2].exists(y, [3].map(z, z).size() > 0)) && claims.a == "b"', /nested comprehensions/],
    ['too many nodes', Array.from({ length: 130 }, (_, i) => `claims.c${i} == "v"`).join(' && '), /too complex/],
    ['bracket nesting beyond limit', `${'('.repeat(40)}claims.a == "b"${')'.repeat(40)}`, /nested too deeply/],
    ['parser-stack bomb', `${'['.repeat(2000)}claims.a${']'.repeat(2000)}`, /nested too deeply/],
    ['deep ternary chain', `${Array.from({ length: 70 }, (_, i) => `claims.a == "${i}" ? true : `).join('')}false`, /nested too deeply/],
  ];
  for (const [name, source, message] of cases) {
    test(name, () => {
      const err = rejection(source);
      assert.equal(err.field, 'match.condition');
      assert.match(err.message, message);
    });
  }

  test('non-string input', () => {
    assert.throws(() => compiler.compileCondition(42 as unknown as string), RuleValidationError);
  });

  test('brackets inside string literals do not count towards nesting', () => {
    const ok = compiler.compileCondition(`claims.sub == "${'('.repeat(60)}"`);
    assert.equal(ok.evaluate({ sub: '('.repeat(60) }), true);
  });

  test('limits are configurable per compiler', () => {
    const strict = new ConditionCompiler({ limits: { maxNodes: 5 } });
    assert.match(rejection('claims.a == "x" && claims.b == "y"', strict).message, /more than 5/);
  });
});

describe('compileCondition accepts and evaluates', () => {
  const claims = {
    sub: 'repo:acme/api:ref:refs/heads/main',
    ref: 'refs/heads/main',
    groups: ['ops', 'dev'],
    email_verified: true,
    iat: 1700000000,
    aud: ['a', 'b'],
    nested: { project_id: 'p-1', tags: { env: 'prod' } },
    'https://sts.amazonaws.com/': { aws_account: '123456789012' },
  };
  const cases: [string, boolean][] = [
    ['claims.sub.startsWith("repo:acme/") && claims.ref in ["refs/heads/main", "refs/heads/release"]', true],
    ['claims.sub.startsWith("repo:other/")', false],
    ['claims.sub.matches("^repo:acme/[a-z]+:ref:refs/heads/(main|release)$")', true],
    ['claims.groups.exists(g, g == "ops")', true],
    ['claims.groups.all(g, g.size() <= 2)', false],
    ['claims.groups.exists_one(g, g.endsWith("s"))', true],
    ['claims.groups.filter(g, g != "ops").size() == 1', true],
    ['"ops" in claims.groups && "email_verified" in claims', true],
    ['has(claims.email_verified) && !has(claims.missing)', true],
    ['claims.email_verified', true],
    ['claims.iat > 1600000000 && claims.iat == 1700000000', true],
    ['claims.nested.project_id == "p-1" && claims.nested.tags.env == "prod"', true],
    ['claims["https://sts.amazonaws.com/"].aws_account == "123456789012"', true],
    ['claims.aud.exists(a, ["a", "z"].exists(b, a == b))', true],
    ['claims.sub.contains("acme") ? claims.ref == "refs/heads/main" : false', true],
  ];
  for (const [source, expected] of cases) {
    test(`${source} → ${expected}`, () => {
      assert.equal(compiler.compileCondition(source).evaluate(claims), expected);
    });
  }
});

describe('evaluation never throws and treats errors as non-match', () => {
  const cases: [string, string, Record<string, unknown>][] = [
    ['missing claim', 'claims.missing == "x"', {}],
    ['missing nested claim', 'claims.nested.deep == "x"', { nested: {} }],
    ['type mismatch on a method', 'claims.sub.startsWith("a")', { sub: 42 }],
    ['string claim compared to an int (no coercion)', 'claims.n == 1', { n: '1' }],
    ['bool claim against string literal', 'claims.flag == "true"', { flag: true }],
    ['comprehension over a string', 'claims.sub.exists(x, x == "a")', { sub: 'abc' }],
    ['non-bool result at runtime', 'claims.value', { value: 'yes' }],
    ['division by zero', 'claims.n / 0 == 1', { n: 5 }],
    ['regex on a non-string', 'claims.sub.matches("^a")', { sub: ['a'] }],
    ['claim holding a function', 'claims.f == "x"', { f: () => 'x' }],
    ['undefined claim value', 'claims.u == "x"', { u: undefined }],
    ['claim named like a prototype property', 'claims.constructor == "x"', {}],
  ];
  for (const [name, source, claims] of cases) {
    test(name, () => {
      const condition = compiler.compileCondition(source);
      assert.equal(condition.evaluate(claims), false);
      assert.notEqual(condition.evaluateWithOutcome(claims).result, 'true');
    });
  }

  test('an error absorbed by || still matches only when the other side is true', () => {
    const condition = compiler.compileCondition('claims.missing == "x" || claims.sub == "a"');
    assert.equal(condition.evaluate({ sub: 'a' }), true);
    assert.equal(condition.evaluate({ sub: 'b' }), false);
  });

  test('outcome reports the runtime error text', () => {
    const outcome = compiler.compileCondition('claims.missing == "x"').evaluateWithOutcome({});
    assert.equal(outcome.result, 'error');
    assert.ok('detail' in outcome && outcome.detail.length > 0);
  });
});

describe('runtime cost guards', () => {
  /** About 12 KB of JSON: the most list elements a 16 KiB assertion can carry. */
  const hugeList = Array.from({ length: 6000 }, (_, i) => i % 10);

  test('ReDoS probe "a"*28+"!" against ^(a+)+$ finishes fast (RE2)', () => {
    const condition = compiler.compileCondition('claims.s.matches("^(a+)+$")');
    const started = performance.now();
    assert.equal(condition.evaluate({ s: `${'a'.repeat(28)}!` }), false);
    assert.equal(condition.evaluate({ s: `${'a'.repeat(5000)}!` }), false);
    assert.ok(performance.now() - started < 200, 'RE2 must run in linear time');
  });

  const bombs: [string, string][] = [
    ['nested all() over a huge list', 'claims.g.all(x, claims.g.all(y, x != y || x == y))'],
    ['nested exists() that never short-circuits', 'claims.g.exists(x, claims.g.exists(y, x + y == -1))'],
    ['linear scan inside a loop', 'claims.g.exists(x, x in claims.g && x == -1)'],
    ['map() producing a list per element', 'claims.g.map(x, claims.g).exists(l, l.size() == -1)'],
    ['largest allowed regex inside a loop', 'claims.g.exists(x, claims.s.matches("^(a{1,10}){1,11}$") && x == -1)'],
  ];
  for (const [name, source] of bombs) {
    test(`${name}: bounded and denied`, () => {
      const condition = compiler.compileCondition(source);
      const started = performance.now();
      const outcome = condition.evaluateWithOutcome({ g: hugeList, s: `${'a'.repeat(4000)}!` });
      const elapsed = performance.now() - started;
      assert.equal(outcome.result, 'budget_exceeded');
      assert.equal(condition.evaluate({ g: hugeList, s: 'a' }), false);
      // Deadline is 50 ms; allow for one in-flight iteration and a loaded CI machine.
      assert.ok(elapsed < 400, `took ${elapsed.toFixed(1)} ms`);
    });
  }

  test('iteration cap is deterministic with a frozen clock', () => {
    const frozen = new ConditionCompiler({ now: () => 0, evaluation: { maxIterations: 100 } });
    const condition = frozen.compileCondition('claims.g.exists(x, x == 99)');
    assert.equal(condition.evaluate({ g: Array.from({ length: 100 }, (_, i) => i) }), true);
    const outcome = condition.evaluateWithOutcome({ g: Array.from({ length: 101 }, (_, i) => (i === 100 ? 99 : i)) });
    assert.equal(outcome.result, 'budget_exceeded');
  });

  test('an exhausted budget is a non-match even when || would absorb the error', () => {
    const small = new ConditionCompiler({ now: () => 0, evaluation: { maxIterations: 10 } });
    const condition = small.compileCondition('claims.sub == "a" || claims.g.all(x, x >= 0)');
    assert.equal(condition.evaluate({ sub: 'a', g: [1, 2, 3] }), true);
    assert.equal(condition.evaluate({ sub: 'b', g: Array.from({ length: 50 }, () => 1) }), false);
    const absorbing = small.compileCondition('claims.g.all(x, x >= 0) || claims.sub == "a"');
    assert.equal(absorbing.evaluateWithOutcome({ sub: 'a', g: Array.from({ length: 50 }, () => 1) }).result, 'budget_exceeded');
  });

  test('deadline uses the injected clock', () => {
    let now = 0;
    const clocked = new ConditionCompiler({ now: () => (now += 10), evaluation: { deadlineMs: 35, maxIterations: 1_000_000 } });
    const condition = clocked.compileCondition('claims.g.all(x, x >= 0)');
    assert.equal(condition.evaluateWithOutcome({ g: Array.from({ length: 10 }, () => 1) }).result, 'budget_exceeded');
    assert.equal(condition.evaluateWithOutcome({ g: [1] }).result, 'true');
  });

  test('the meter resets between evaluations', () => {
    const small = new ConditionCompiler({ now: () => 0, evaluation: { maxIterations: 10 } });
    const condition = small.compileCondition('claims.g.all(x, x >= 0)');
    for (let i = 0; i < 5; i++) assert.equal(condition.evaluate({ g: [1, 2, 3, 4, 5, 6, 7, 8] }), true);
  });
});

describe('RegexCache', () => {
  test('is bounded and evicts the least recently used pattern', () => {
    const cache = new RegexCache(2);
    const a = cache.compile('^a$');
    cache.compile('^b$');
    assert.equal(cache.compile('^a$'), a, 'hit returns the same compiled program');
    cache.compile('^c$');
    assert.equal(cache.size, 2);
    assert.equal(cache.compile('^a$'), a, '^a$ was recently used and must survive');
    assert.notEqual(cache.compile('^b$'), undefined);
    assert.equal(cache.size, 2);
  });

  test('invalid patterns throw and are not cached', () => {
    const cache = new RegexCache(4);
    assert.throws(() => cache.compile('('));
    assert.equal(cache.size, 0);
  });

  test('rejects a non-positive bound', () => {
    assert.throws(() => new RegexCache(0), TypeError);
    assert.throws(() => new RegexCache(1.5), TypeError);
  });

  test('compilers do not share state', () => {
    const one = new ConditionCompiler({ now: () => 0, evaluation: { maxIterations: 3 } });
    const two = new ConditionCompiler();
    const big = { g: [1, 2, 3, 4, 5] };
    assert.equal(one.compileCondition('claims.g.all(x, x > 0)').evaluate(big), false);
    assert.equal(two.compileCondition('claims.g.all(x, x > 0)').evaluate(big), true);
  });
});
