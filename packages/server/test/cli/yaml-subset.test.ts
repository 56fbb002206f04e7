import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { emitYaml } from '../../src/cli/config/yaml-emit.ts';
import { parseYaml, YamlSyntaxError, type YamlValue } from '../../src/cli/config/yaml-subset.ts';

const parse = (text: string) => parseYaml(text).value;

function rejects(text: string, line: number, pattern: RegExp) {
  assert.throws(
    () => parseYaml(text),
    (err: unknown) => {
      assert.ok(err instanceof YamlSyntaxError, `expected YamlSyntaxError, got ${String(err)}`);
      assert.equal(err.line, line, err.message);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe('YAML subset: accepted documents', () => {
  it('parses a configuration-shaped document with comments, nesting and typed scalars', () => {
    const doc = parseYaml(`---
# federation for prod
issuers:
  - name: azure-prod   # trailing comment
    issuer_url: https://login.microsoftonline.com/0000/v2.0
    check_jti: true
    max_jwt_lifetime_seconds: 3600
    jwks:
      type: discovery
rules:
- name: "aks-inference"
  match:
    subject_prefix: 'system:serviceaccount:prod:*'
    claims:
      tid: "0000"
  workspaces: [Default, "team-a"]
  description: null
  ratio: 0.5
`);
    assert.deepEqual(doc.value, {
      issuers: [
        {
          name: 'azure-prod',
          issuer_url: 'https://login.microsoftonline.com/0000/v2.0',
          check_jti: true,
          max_jwt_lifetime_seconds: 3600,
          jwks: { type: 'discovery' },
        },
      ],
      rules: [
        {
          name: 'aks-inference',
          match: { subject_prefix: 'system:serviceaccount:prod:*', claims: { tid: '0000' } },
          workspaces: ['Default', 'team-a'],
          description: null,
          ratio: 0.5,
        },
      ],
    });
    assert.equal(doc.lineOf(['issuers', 0, 'name']), 4);
    assert.equal(doc.lineOf(['issuers', 0, 'jwks', 'type']), 9);
    assert.equal(doc.lineOf(['rules', 0]), 11);
    assert.equal(doc.lineOf(['rules', 0, 'match', 'claims', 'tid']), 15);
    assert.equal(doc.lineOf(['rules', 0, 'workspaces', 1]), 16);
  });

  it('reads literal blocks with clip, strip and keep chomping, keeping inner indentation and # as text', () => {
    const value = parse(`pem: |
  -----BEGIN CERTIFICATE-----
  MIIB # not a comment
    indented
  -----END CERTIFICATE-----
strip: |-
  one

  two
keep: |+
  kept

after: x
`);
    assert.deepEqual(value, {
      pem: '-----BEGIN CERTIFICATE-----\nMIIB # not a comment\n  indented\n-----END CERTIFICATE-----\n',
      strip: 'one\n\ntwo',
      keep: 'kept\n\n',
      after: 'x',
    });
  });

  it('handles quotes: escapes, doubled single quotes, "#" and ": " inside quotes, quoted keys', () => {
    assert.deepEqual(parse(`a: "x\\n\\"y\\" # z"\nb: 'it''s: ok'\n"odd key": 1\nc: ""\n`), { a: 'x\n"y" # z', b: "it's: ok", 'odd key': 1, c: '' });
  });

  it('reads empty documents, empty collections, nested sequences and null values', () => {
    assert.equal(parse(''), null);
    assert.equal(parse('# only a comment\n'), null);
    assert.deepEqual(parse('a: []\nb: {}\nc:\nd:\n  - - 1\n    - 2\n  -\n'), { a: [], b: {}, c: null, d: [[1, 2], null] });
  });

  it('keeps strings that look like other things as strings when quoted, and urls/colons when plain', () => {
    assert.deepEqual(parse(`a: "yes"\nb: "0123"\nc: repo:acme/api:ref:refs/heads/main\nd: https://h:8443/p\ne: -5\n`), {
      a: 'yes',
      b: '0123',
      c: 'repo:acme/api:ref:refs/heads/main',
      d: 'https://h:8443/p',
      e: -5,
    });
  });
});

describe('YAML subset: rejected input names the line', () => {
  const cases: [string, string, number, RegExp][] = [
    ['tab indentation', 'a:\n\tb: 1\n', 2, /tabs/],
    ['duplicate key', 'a: 1\nb: 2\na: 3\n', 3, /duplicate key "a"/],
    ['anchor', 'a: &x 1\n', 1, /special meaning/],
    ['alias (bare * needs quotes)', 'subject_prefix: *\n', 1, /special meaning.*quotes/],
    ['tag', 'a: !!str 1\n', 1, /special meaning/],
    ['folded block', 'a: >\n  text\n', 1, /folded/],
    ['block indentation indicator', 'a: |2\n  text\n', 1, /block headers/],
    ['flow mapping', 'a: {b: 1}\n', 1, /flow mappings/],
    ['nested flow sequence', 'a: [[1]]\n', 1, /only hold scalars/],
    ['unclosed flow sequence', 'a: [1, 2\n', 1, /close/],
    ['multi-line double quote', 'a: "abc\n  def"\n', 1, /unterminated double-quoted/],
    ['unterminated single quote', "a: 'abc\n", 1, /unterminated single-quoted/],
    ['bad escape', 'a: "\\q"\n', 1, /escape/],
    ['yes/no booleans', 'a: 1\nb: yes\n', 2, /different things/],
    ['octal-looking number', 'a: 0755\n', 1, /octal/],
    ['huge integer', 'a: 123456789012345678901\n', 1, /too large/],
    ['second document', 'a: 1\n---\nb: 2\n', 2, /one YAML document/],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n', 3, /indentation/],
    ['over-indented sibling', 'a: 1\n  b: 2\n', 2, /indentation/],
    ['sequence after keys', 'a: 1\n- b\n', 2, /sequence item cannot follow/],
    ['line without colon', 'a: 1\njust text\n', 2, /expected "key: value"/],
    ['text after quoted scalar', 'a: "x" y\n', 1, /after the quoted string/],
    ['unquoted ": " in value', 'a: b: c\n', 1, /contains ": "/],
    ['first line indented', '  a: 1\n', 1, /column 1/],
    ['__proto__ key', '__proto__: 1\n', 1, /not allowed/],
    ['literal block less indented', 'a: |\n    one\n  two\n', 3, /less indented/],
  ];
  for (const [name, text, line, pattern] of cases) it(name, () => rejects(text, line, pattern));

  it('limits nesting depth', () => {
    const deep = Array.from({ length: 70 }, (_, i) => `${' '.repeat(i * 2)}k:`).join('\n') + ' 1\n';
    assert.throws(() => parseYaml(deep), /nesting deeper/);
  });
});

describe('YAML emitter round-trips through the parser', () => {
  it('writes PEM as a literal block and awkward strings quoted', () => {
    const value = {
      pem: '-----BEGIN X-----\nAAA\n-----END X-----\n',
      star: '*',
      yes: 'yes',
      num: '0123',
      empty: '',
      list: [],
      map: {},
      n: null,
      url: 'https://a.b/c',
    };
    const text = emitYaml(value);
    assert.match(text, /pem: \|\n {2}-----BEGIN X-----/);
    assert.match(text, /star: "\*"/);
    assert.match(text, /url: https:\/\/a\.b\/c/);
    assert.deepEqual(parseYaml(text).value, value);
  });

  it('round-trips arbitrary JSON-like values (property)', () => {
    const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__');
    const leaf = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom('a\nb\n', 'x\n\n', '-----BEGIN\nQ\n', 'tail-less\nz'),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4, noNullPrototype: true }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, value as fc.Arbitrary<YamlValue>, { maxKeys: 5, noNullPrototype: true }), (doc) => {
        assert.deepEqual(parseYaml(emitYaml(doc)).value, doc);
      }),
      { numRuns: 300 },
    );
  });
});
