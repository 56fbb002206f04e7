import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactErrorBody } from '../../src/lib/redact.ts';

describe('redactErrorBody', () => {
  it('keeps only error, error_description and error_uri of an object', () => {
    assert.deepEqual(redactErrorBody({ error: 'invalid_grant', error_description: 'd', error_uri: 'u', access_token: 'sk-ant-oat01-x', request_id: 'r' }), {
      error: 'invalid_grant',
      error_description: 'd',
      error_uri: 'u',
    });
  });

  it('keeps the nested Anthropic envelope error and drops request_id', () => {
    assert.deepEqual(redactErrorBody({ type: 'error', error: { type: 'authentication_error', message: 'Authentication failed' }, request_id: 'req_1' }), {
      error: { type: 'authentication_error', message: 'Authentication failed' },
    });
  });

  it('truncates strings at 2000 chars and drops arrays, numbers and null', () => {
    assert.equal(redactErrorBody('short'), 'short');
    const long = redactErrorBody('y'.repeat(2500));
    assert.equal(long, `${'y'.repeat(2000)}… <500 more chars>`);
    assert.equal(redactErrorBody(['sk-ant-oat01-x']), null);
    assert.equal(redactErrorBody(42), null);
    assert.equal(redactErrorBody(null), null);
  });
});
