import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { pacedLoad } from '../../bench/lib/paced-load.ts';

const servers: Server[] = [];
async function serve(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/x?y=1`;
}

/** The open-loop generator frames responses itself; every way a response can end must count once. */
describe('pacedLoad', { timeout: 20_000 }, () => {
  after(() => {
    for (const server of servers) server.closeAllConnections();
    return Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('sends each body with its headers and counts Content-Length, chunked and non-2xx responses', async () => {
    const seen: Array<{ url?: string; body: string; header?: string }> = [];
    let n = 0;
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ url: req.url, body, header: req.headers['x-bench'] as string | undefined });
        const i = n++;
        if (i % 3 === 0) res.writeHead(200, { 'content-type': 'application/json' }).end('{"chunked":"yes, as writeHead leaves it"}');
        else if (i % 3 === 1) res.end(JSON.stringify({ sized: 'x'.repeat(70_000) }));
        else res.writeHead(401).end('{}');
      });
    });
    let i = 0;
    const result = await pacedLoad({ url, rate: 300, seconds: 0.5, body: () => `{"i":${i++}}`, headers: { 'x-bench': 'yes' } });
    assert.equal(result.requests, 150);
    assert.equal(result.errors, 0);
    assert.equal(result.non2xx, 50);
    assert.deepEqual(seen.map((request) => request.body).sort(), Array.from({ length: 150 }, (_, k) => `{"i":${k}}`).sort());
    assert.ok(seen.every((request) => request.url === '/v1/x?y=1' && request.header === 'yes'));
    assert.ok(result.p50 > 0 && result.p50 <= result.p99);
  });

  it('counts a connection closed mid-request as an error, and requests waiting for a connection still go', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      const close = n++ % 2 === 0;
      setTimeout(() => (close ? req.socket.destroy() : res.end('ok')), 5);
    });
    // One connection, busy 5 ms per request, at 400 req/s: most requests wait for it.
    const result = await pacedLoad({ url, rate: 400, seconds: 0.25, body: () => '{}', maxSockets: 1 });
    assert.equal(result.requests + result.errors, 100);
    assert.ok(result.errors >= 40 && result.requests >= 40, JSON.stringify(result));
  });
});
