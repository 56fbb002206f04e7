import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExchangeDenied } from '../../src/exchange/deny-reasons.ts';
import { HttpError } from '../../src/http/errors.ts';
import { TrustError } from '../../src/trust/key-resolver.ts';

const hasFrames = (err: Error) => / {4}at /.test(err.stack ?? '');

describe('errors that are outcomes carry no stack; faults keep theirs', () => {
  test('denials, missing keys and 4xx answers capture no frames, and keep name and message', () => {
    const outcomes: Error[] = [new ExchangeDenied('expired'), new TrustError('kid_not_found', 'no key'), new HttpError(401, 'authentication_error', 'no')];
    for (const err of outcomes) {
      assert.equal(hasFrames(err), false, err.name);
      assert.ok(err instanceof Error);
      assert.ok(err.message.length > 0);
    }
  });

  test('the stack limit is restored: other errors still capture frames', () => {
    const limit = Error.stackTraceLimit;
    new ExchangeDenied('expired');
    assert.equal(Error.stackTraceLimit, limit);
    assert.equal(hasFrames(new Error('a fault')), true);
    assert.equal(hasFrames(new TypeError('another')), true);
  });
});
