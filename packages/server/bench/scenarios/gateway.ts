import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { presign } from '../lib/assertions.ts';
import { exchangeBody, setUpFederation } from '../lib/federation.ts';
import { load, median, type LoadResult } from '../lib/load.ts';
import { startOpenWif } from '../lib/processes.ts';

interface Reporter {
  seconds: number;
  connections: number;
  reps: number;
  say: (line?: string) => void;
  fmt: (n: number) => string;
  spread: (xs: number[]) => string;
}

const MESSAGE = JSON.stringify({
  id: 'msg_bench',
  type: 'message',
  role: 'assistant',
  model: 'bench',
  content: [{ type: 'text', text: 'ok' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1 },
});
const REQUEST = JSON.stringify({ model: 'bench', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

/** A trivial upstream: answers every request with one fixed message. */
async function startUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_upstream' });
      res.end(MESSAGE);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** The same upstream called directly and through the gateway with a minted token. */
export async function measureGateway(r: Reporter): Promise<void> {
  const upstream = await startUpstream();
  const server = await startOpenWif({}, [], {
    OPENWIF_UPSTREAM_URL: upstream.url,
    OPENWIF_UPSTREAM_API_KEY: 'sk-ant-api03-bench',
    // The benchmark measures authentication and forwarding, not the per-account limits.
    OPENWIF_GATEWAY_REQUESTS_PER_MINUTE: '1000000',
    OPENWIF_GATEWAY_MAX_CONCURRENT: '1000',
  });
  try {
    const fed = await setUpFederation(server.url, 'ES256', 'gw');
    const [assertion] = await presign(1, fed.sign);
    const minted = await (
      await fetch(`${server.url}/v1/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: exchangeBody(fed, assertion!) })
    ).json();
    const direct: LoadResult[] = [];
    const viaGateway: LoadResult[] = [];
    for (let i = 0; i < r.reps; i++) {
      direct.push(await load({ url: `${upstream.url}/v1/messages`, seconds: r.seconds, connections: r.connections, body: () => REQUEST }));
      viaGateway.push(
        await load({
          url: `${server.url}/v1/messages`,
          seconds: r.seconds,
          connections: r.connections,
          body: () => REQUEST,
          headers: { authorization: `Bearer ${minted.access_token}`, 'anthropic-version': '2023-06-01' },
        }),
      );
    }
    const rps = (xs: LoadResult[]) => median(xs.map((x) => x.rps));
    const p50 = (xs: LoadResult[]) => median(xs.map((x) => x.p50));
    const errors = viaGateway.reduce((n, x) => n + x.errors + x.non2xx, 0);
    r.say('| Path | req/s | p50 ms | p99 ms |');
    r.say('| --- | --- | --- | --- |');
    r.say(
      `| upstream directly (baseline) | ${r.spread(direct.map((x) => x.rps))} | ${r.spread(direct.map((x) => x.p50))} | ${r.spread(direct.map((x) => x.p99))} |`,
    );
    r.say(
      `| through the OpenWIF gateway${errors ? ` (${errors} errors/non-2xx)` : ''} | ${r.spread(viaGateway.map((x) => x.rps))} | ${r.spread(viaGateway.map((x) => x.p50))} | ${r.spread(viaGateway.map((x) => x.p99))} |`,
    );
    r.say();
    r.say(
      `Gateway keeps **${((rps(viaGateway) / rps(direct)) * 100).toFixed(0)} %** of the direct throughput and adds **${r.fmt(p50(viaGateway) - p50(direct))} ms** at p50 (target: ≥ 70 % and ≤ 1 ms).`,
    );
  } finally {
    await server.stop();
    await upstream.close();
  }
}
