import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { bearer, MESSAGE_BODY, mintToken, parseSse, startGatewayServer, type GatewayTestServer } from './helpers.ts';

describe('dev mode: the built-in stand-in model answers when no upstream is configured', () => {
  let server: GatewayTestServer;
  let issuer: TestIssuer;
  let token: string;

  before(async () => {
    server = await startGatewayServer();
    issuer = await TestIssuer.start();
    ({ token } = await mintToken(server, issuer, { scope: 'workspace:inference' }));
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  test('POST /v1/messages returns a deterministic Message that says it is a stand-in', async () => {
    const first = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
    const second = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.type, 'message');
    assert.equal(first.body.role, 'assistant');
    assert.equal(first.body.model, 'claude-sonnet-4-5');
    assert.match(first.body.content[0].text, /^OpenWIF stand-in model: you said "Hello gateway"/);
    assert.equal(first.body.stop_reason, 'end_turn');
    assert.deepEqual(first.body, second.body, 'same request, same answer');
    assert.match(first.body.id, /^msg_standin_[0-9a-f]{24}$/);
    assert.ok(first.body.usage.input_tokens > 0 && first.body.usage.output_tokens > 0);
  });

  test('max_tokens truncates the reply and reports stop_reason max_tokens', async () => {
    const res = await call(server, 'POST', '/v1/messages', { body: { ...MESSAGE_BODY, max_tokens: 3 }, headers: bearer(token) });
    assert.equal(res.status, 200);
    assert.equal(res.body.content[0].text, 'OpenWIF stand-in model:');
    assert.equal(res.body.stop_reason, 'max_tokens');
    assert.equal(res.body.usage.output_tokens, 3);
  });

  test('stream: true emits the real SSE event sequence whose deltas add up to the plain reply', async () => {
    const plain = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: bearer(token), body: JSON.stringify({ ...MESSAGE_BODY, stream: true }) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const frames = parseSse(await res.text());
    const kinds = frames.map((f) => f.event);
    assert.deepEqual(kinds.slice(0, 3), ['message_start', 'content_block_start', 'ping']);
    assert.deepEqual(kinds.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    assert.ok(kinds.filter((k) => k === 'content_block_delta').length >= 2);
    for (const f of frames) assert.equal(f.data.type, f.event, 'data.type matches the event name');
    const text = frames
      .filter((f) => f.event === 'content_block_delta')
      .map((f) => f.data.delta.text)
      .join('');
    assert.equal(text, plain.body.content[0].text);
    assert.equal(frames.at(-2)?.data.delta.stop_reason, 'end_turn');
  });

  test('count_tokens answers a deterministic count that grows with the input', async () => {
    const short = await call(server, 'POST', '/v1/messages/count_tokens', {
      body: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
      headers: bearer(token),
    });
    const long = await call(server, 'POST', '/v1/messages/count_tokens', {
      body: { model: 'm', messages: [{ role: 'user', content: 'hi '.repeat(100) }] },
      headers: bearer(token),
    });
    assert.equal(short.status, 200);
    assert.deepEqual(Object.keys(short.body), ['input_tokens']);
    assert.ok(long.body.input_tokens > short.body.input_tokens);
  });

  test('GET /v1/models lists one model, GET /v1/models/{id} returns it, an unknown id is 404', async () => {
    const list = await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    assert.equal(list.status, 200);
    assert.equal(list.body.data.length, 1);
    assert.equal(list.body.has_more, false);
    const id = list.body.data[0].id;
    const one = await call(server, 'GET', `/v1/models/${id}`, { headers: bearer(token) });
    assert.equal(one.status, 200);
    assert.equal(one.body.type, 'model');
    const missing = await call(server, 'GET', '/v1/models/claude-nope', { headers: bearer(token) });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.type, 'not_found_error');
  });

  test('invalid JSON, a missing model and empty messages are 400 invalid_request_error', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON/],
      [JSON.stringify({ max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }), /^model:/],
      [JSON.stringify({ model: 'm', max_tokens: 5, messages: [] }), /^messages:/],
      [JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), /^max_tokens:/],
      [JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }), /role/],
      [JSON.stringify({ ...MESSAGE_BODY, stream: 'yes' }), /^stream:/],
    ];
    for (const [raw, message] of cases) {
      const res = await call(server, 'POST', '/v1/messages', { raw, headers: bearer(token) });
      assert.equal(res.status, 400, raw);
      assert.equal(res.body.error.type, 'invalid_request_error');
      assert.match(res.body.error.message, message);
    }
  });

  test('responses carry anthropic-workspace-id and both request ids', async () => {
    const res = await call(server, 'GET', '/v1/models', { headers: bearer(token) });
    const defaultWorkspace = await server.stores.workspaces.getDefault(server.organizationId);
    assert.equal(res.headers.get('anthropic-workspace-id'), defaultWorkspace.id);
    assert.match(res.headers.get('request-id') ?? '', /^req_/);
    assert.match(res.headers.get('openwif-request-id') ?? '', /^req_/);
  });
});

describe('production: no upstream configured and no stand-in', () => {
  test('forwarded calls get 503 in the envelope, never the stand-in model', async () => {
    const server = await startGatewayServer({ gateway: { standIn: false } });
    const issuer = await TestIssuer.start();
    try {
      const { token } = await mintToken(server, issuer, { scope: 'workspace:inference' });
      const res = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
      assert.equal(res.status, 503);
      assert.equal(res.body.error.type, 'service_unavailable_error');
      assert.match(res.body.error.message, /OPENWIF_UPSTREAM_URL/);
    } finally {
      await server.close();
      await issuer.close();
    }
  });
});
