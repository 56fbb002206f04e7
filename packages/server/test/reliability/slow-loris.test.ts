import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';

/** The timeouts app.ts configures: headers within 10 s, the whole request within 30 s. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Scheduling slack on a loaded 2-core machine. */
const SLACK_MS = 3_000;

interface Trickle {
  /** Milliseconds from connect until the server closed the socket. */
  closedAfterMs: Promise<number>;
  /** Whatever the server wrote before closing (an error response, or nothing). */
  received(): string;
  stop(): void;
}

/**
 * A slow-loris client: sends `prefix` at once, then one byte of `drip` every `intervalMs`,
 * never finishing. Resolves when the server closes the connection.
 */
function trickle(url: string, prefix: string, drip: string, intervalMs: number): Trickle {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  const started = Date.now();
  let received = '';
  let index = 0;
  let timer: NodeJS.Timeout | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  socket.once('connect', () => {
    socket.write(prefix);
    timer = setInterval(() => {
      if (socket.destroyed || socket.writableEnded) return;
      socket.write(drip[index % drip.length]!);
      index++;
    }, intervalMs);
  });
  const closedAfterMs = new Promise<number>((resolve) => {
    socket.once('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    });
  });
  return {
    closedAfterMs,
    received: () => received,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

describe('slow-loris clients are cut off while others are served', () => {
  let server: TestServer;
  const clients: Trickle[] = [];

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const c of clients) c.stop();
    await server.close();
  });

  test(
    'byte-by-byte headers and a silent connection are closed within headersTimeout, a trickled body within requestTimeout',
    { timeout: 2 * REQUEST_TIMEOUT_MS + 15_000 },
    async () => {
      const host = new URL(server.url).host;
      // Never finishes the header block: one header byte every 500 ms.
      const slowHeaders = trickle(server.url, 'POST /v1/oauth/token HTTP/1.1\r\n', `Host: ${host}\r\nX-Padding: ${'a'.repeat(1000)}`, 500);
      // Complete headers, then a 10 KiB body one byte every 500 ms.
      const slowBody = trickle(
        server.url,
        `POST /v1/oauth/token HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 10240\r\n\r\n`,
        '{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer"',
        500,
      );
      // Connects and never sends a byte.
      const idle = trickle(server.url, '', ' ', 3_600_000);
      clients.push(slowHeaders, slowBody, idle);

      // Meanwhile the server keeps answering everyone else, promptly.
      const deadline = Date.now() + HEADERS_TIMEOUT_MS + 2_000;
      let served = 0;
      while (Date.now() < deadline) {
        const started = Date.now();
        const res = await call(server, 'GET', '/healthz');
        assert.equal(res.status, 200);
        assert.ok(Date.now() - started < 1_000, 'a normal request is not held up by the slow clients');
        served++;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(served >= 20, `served ${served} requests during the attack`);

      const [headersClosed, bodyClosed, idleClosed] = await Promise.all([slowHeaders.closedAfterMs, slowBody.closedAfterMs, idle.closedAfterMs]);
      const problems: string[] = [];
      if (idleClosed > HEADERS_TIMEOUT_MS + SLACK_MS)
        problems.push(`a silent connection stayed open ${idleClosed} ms (headersTimeout ${HEADERS_TIMEOUT_MS} ms)`);
      if (headersClosed > HEADERS_TIMEOUT_MS + SLACK_MS)
        problems.push(`byte-by-byte headers stayed open ${headersClosed} ms (headersTimeout ${HEADERS_TIMEOUT_MS} ms)`);
      if (bodyClosed > REQUEST_TIMEOUT_MS + SLACK_MS) problems.push(`a trickled body stayed open ${bodyClosed} ms (requestTimeout ${REQUEST_TIMEOUT_MS} ms)`);
      assert.deepEqual(problems, []);
      assert.ok(headersClosed >= HEADERS_TIMEOUT_MS - SLACK_MS, `slow headers closed after ${headersClosed} ms: before the timeout`);
      // A 408 (or a bare close) is fine; a 200 or a 5xx is not.
      for (const text of [slowHeaders.received(), slowBody.received(), idle.received()]) {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
        assert.ok(status === undefined || status === '408' || status === '400', `unexpected answer to a slow client: ${text.slice(0, 200)}`);
      }
      assert.equal((await call(server, 'GET', '/healthz')).status, 200);
    },
  );
});
