import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeJson, printable } from '../../src/domain/printable.ts';

describe('printable: untrusted text made safe to show', () => {
  it('replaces C0, DEL, C1 and the Unicode line separators, and nothing else', () => {
    assert.equal(printable('a\u0000b\nc\u001bd\u007fe\u0085f\u2028g\u2029h', 100), 'a b c d e f g h');
    assert.equal(printable('tab\there', 100, '?'), 'tab?here');
    assert.equal(printable('ünïcødé ✓ 🙂', 100), 'ünïcødé ✓ 🙂');
  });

  it('never returns more than maxLength characters; a cut ends in an ellipsis', () => {
    assert.equal(printable('x'.repeat(10), 10), 'x'.repeat(10));
    const cut = printable('x'.repeat(11), 10);
    assert.equal(cut.length, 10);
    assert.ok(cut.endsWith('…'));
  });

  it('describeJson shows any parsed JSON value without running its members', () => {
    assert.equal(describeJson({ toString: null, valueOf: 0 }, 100), '{"toString":null,"valueOf":0}');
    assert.equal(describeJson([{ toString: 0 }], 100), '[{"toString":0}]');
    assert.equal(describeJson('a\nb', 100), '"a\\nb"');
    assert.equal(describeJson(undefined, 100), '(undefined)');
    assert.equal(describeJson(10n, 100), '(bigint)');
    assert.equal(describeJson('x'.repeat(50), 10).length, 10);
  });
});
