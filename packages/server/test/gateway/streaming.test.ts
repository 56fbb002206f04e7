import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InMemoryRateLimiter } from '../../src/gateway/index.ts';
import { call } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { bearer, MESSAGE_BODY, mintToken, parseSse, RecordingUpstream, startGatewayServer, type GatewayTestServer } from './helpers.ts';

const frame = (type: string, extra: Record<string, unknown> = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...extra })}\n\n`;
const STREAM_BODY = JSON.stringify({ ...MESSAGE_BODY, stream: true });

describe('streaming through the gateway', () => {
  let upstream: RecordingUpstream;
  let server: GatewayTestServer;
  let issuer: TestIssuer;
  let token: string;

  before(async () => {
    upstream = await RecordingUpstream.start();
    server = await startGatewayServer({
      settings: { upstreamUrl: upstream.url, upstreamApiKey: 'sk-ant-api03-stream-key' },
      gateway: { timeouts: { idleMs: 400 }, rateLimiter: new InMemoryRateLimiter({ maxConcurrent: 1 }) },
    });
    issuer = await TestIssuer.start();
    ({ token } = await mintToken(server, issuer));
  });
  after(async () => {
    await server.close();
    await upstream.close();
    await issuer.close();
  });

  /** With one concurrency slot per service account, a quick call succeeds only if the slot came back. */
  async function assertSlotFreed(): Promise<void> {
    await sleep(50);
    upstream.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    };
    const next = await call(server, 'POST', '/v1/messages', { body: MESSAGE_BODY, headers: bearer(token) });
    assert.equal(next.status, 200, 'the only concurrency slot was given back');
  }

  test('the first event reaches the client while the upstream still holds the stream open', async () => {
    let releaseUpstream: () => void = () => undefined;
    const clientSawFirst = new Promise<void>((r) => (releaseUpstream = r));
    let upstreamFinished = false;
    upstream.behaviour = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_stream_up' });
      res.write(frame('message_start', { message: { id: 'msg_1' } }));
      await clientSawFirst;
      res.write(frame('message_stop'));
      upstreamFinished = true;
      res.end();
    };
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: bearer(token), body: STREAM_BODY });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('request-id'), 'req_stream_up');
    const reader = res.body!.getReader();
    const first = await Promise.race([reader.read(), sleep(5_000).then(() => null)]);
    assert.ok(first && !first.done, 'a first chunk arrived (not buffered until the end)');
    assert.equal(upstreamFinished, false, 'the upstream had not finished when the client got the first chunk');
    assert.match(Buffer.from(first.value).toString(), /message_start/);
    releaseUpstream();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    assert.match(rest, /message_stop/);
    assert.equal(upstreamFinished, true);
  });

  test('a client that disconnects mid-stream makes the gateway abort the upstream call', async () => {
    const index = upstream.aborted.length;
    upstream.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame('message_start'));
      // …and never ends on its own.
    };
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: bearer(token), body: STREAM_BODY, signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const aborted = await Promise.race([upstream.aborted[index]!.then(() => true), sleep(5_000).then(() => false)]);
    assert.equal(aborted, true, 'the upstream saw its connection closed');
  });

  test('an upstream that drops the connection mid-stream ends the client stream with an SSE error event', async () => {
    upstream.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame('message_start'));
      setTimeout(() => res.socket?.destroy(), 50);
    };
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: bearer(token), body: STREAM_BODY });
    const frames = parseSse(await res.text());
    assert.deepEqual(
      frames.map((f) => f.event),
      ['message_start', 'error'],
    );
    assert.equal(frames[1]!.data.error.type, 'api_error');
    assert.match(frames[1]!.data.request_id, /^req_/);
  });

  test('an upstream that goes silent mid-stream (idle timeout) ends with a timeout_error event', async () => {
    upstream.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message_start\ndata: {"type":"message_start"'); // a partial frame, then silence
    };
    const started = Date.now();
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: bearer(token), body: STREAM_BODY });
    const text = await res.text();
    assert.ok(Date.now() - started < 5_000);
    const last = text.trim().split('\n\n').at(-1) ?? '';
    assert.match(last, /^event: error\ndata: /, 'the error event starts a fresh frame after the partial one');
    assert.equal(JSON.parse(last.split('data: ')[1]!).error.type, 'timeout_error');
  });

  // A plain (non-event-stream) body is handed to the client without a stream of its own: the
  // same timers and the same clean-up must hold for it.
  test('a plain body that goes silent half-way is cut after the idle timeout, and the slot is freed', async () => {
    upstream.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"message",'); // …then silence
    };
    const started = Date.now();
    const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: bearer(token), body: JSON.stringify(MESSAGE_BODY) });
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), 'the client sees a cut, not a complete body');
    assert.ok(Date.now() - started < 5_000);
    await assertSlotFreed();
  });

  test('a client that disconnects during a plain body makes the gateway abort the upstream call and free the slot', async () => {
    const index = upstream.aborted.length;
    upstream.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"message",'); // …and never ends on its own.
    };
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: bearer(token),
      body: JSON.stringify(MESSAGE_BODY),
      signal: controller.signal,
    });
    await res.body!.getReader().read();
    controller.abort();
    const aborted = await Promise.race([upstream.aborted[index]!.then(() => true), sleep(5_000).then(() => false)]);
    assert.equal(aborted, true, 'the upstream saw its connection closed');
    await assertSlotFreed();
  });

  test('concurrency: with one slot per service account a second call is 429 with retry-after, and the slot frees when the first ends', async () => {
    let finish: () => void = () => undefined;
    const done = new Promise<void>((r) => (finish = r));
    upstream.behaviour = async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame('message_start'));
      await done;
      res.end(frame('message_stop'));
    };
    const first = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: bearer(token), body: STREAM_BODY });
    const second = await call(server, 'POST', '/v1/messages', { raw: STREAM_BODY, headers: bearer(token) });
    assert.equal(second.status, 429);
    assert.equal(second.body.error.type, 'rate_limit_error');
    assert.equal(second.headers.get('retry-after'), '1');
    assert.match(second.body.error.message, /in flight/);
    finish();
    await first.text();
    await assertSlotFreed();
  });
});
