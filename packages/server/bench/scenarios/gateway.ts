import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { presign } from '../lib/assertions.ts';
import { exchangeBody, setUpFederation } from '../lib/federation.ts';
import { load, median, type LoadResult } from '../lib/load.ts';
import { pacedLoad, type PacedResult } from '../lib/paced-load.ts';
import { startChild, startOpenWif } from '../lib/processes.ts';
import type { BenchContext } from '../lib/context.ts';

const BARE_FORWARDER = new URL('../baselines/bare-forwarder.ts', import.meta.url).pathname;

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
export async function measureGateway(r: BenchContext): Promise<void> {
  const upstream = await startUpstream();
  const server = await startOpenWif({}, [], {
    OPENWIF_UPSTREAM_URL: upstream.url,
    OPENWIF_UPSTREAM_API_KEY: 'sk-ant-api03-bench',
    // The benchmark measures authentication and forwarding, not the per-account limits.
    OPENWIF_GATEWAY_REQUESTS_PER_MINUTE: '1000000',
    OPENWIF_GATEWAY_MAX_CONCURRENT: '1000',
  });
  const forwarder = await startChild(['--import', 'tsx', BARE_FORWARDER], { BENCH_UPSTREAM_URL: upstream.url });
  try {
    const fed = await setUpFederation(server.url, 'ES256', 'gw');
    const [assertion] = await presign(1, fed.sign);
    const minted = await (
      await fetch(`${server.url}/v1/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: exchangeBody(fed, assertion!) })
    ).json();
    const gatewayHeaders = { authorization: `Bearer ${minted.access_token}`, 'anthropic-version': '2023-06-01' };
    const direct: LoadResult[] = [];
    const viaForwarder: LoadResult[] = [];
    const viaGateway: LoadResult[] = [];
    for (let i = 0; i < r.reps; i++) {
      direct.push(await load({ url: `${upstream.url}/v1/messages`, seconds: r.seconds, connections: r.connections, body: () => REQUEST }));
      viaForwarder.push(await load({ url: `${forwarder.url}/v1/messages`, seconds: r.seconds, connections: r.connections, body: () => REQUEST }));
      viaGateway.push(
        await load({ url: `${server.url}/v1/messages`, seconds: r.seconds, connections: r.connections, body: () => REQUEST, headers: gatewayHeaders }),
      );
    }
    // Added latency is read at a rate both paths sustain easily (a quarter of the gateway's
    // maximum): at saturation p50 is queueing, and measures throughput a second time.
    const rate = Math.max(50, Math.floor(median(viaGateway.map((x) => x.rps)) / 4));
    const directPaced: PacedResult[] = [];
    const forwarderPaced: PacedResult[] = [];
    const gatewayPaced: PacedResult[] = [];
    for (let i = 0; i < r.reps; i++) {
      directPaced.push(await pacedLoad({ url: `${upstream.url}/v1/messages`, rate, seconds: r.seconds, body: () => REQUEST }));
      forwarderPaced.push(await pacedLoad({ url: `${forwarder.url}/v1/messages`, rate, seconds: r.seconds, body: () => REQUEST }));
      gatewayPaced.push(await pacedLoad({ url: `${server.url}/v1/messages`, rate, seconds: r.seconds, body: () => REQUEST, headers: gatewayHeaders }));
    }
    const rps = (xs: LoadResult[]) => median(xs.map((x) => x.rps));
    const p50 = (xs: PacedResult[]) => median(xs.map((x) => x.p50));
    const errors = [...viaGateway, ...gatewayPaced].reduce((n, x) => n + x.errors + x.non2xx, 0);
    r.say('| Path | max req/s (saturated) | p50 ms at ' + rate + ' req/s | p99 ms at ' + rate + ' req/s |');
    r.say('| --- | --- | --- | --- |');
    r.say(
      `| upstream directly (baseline) | ${r.spread(direct.map((x) => x.rps))} | ${r.spread(directPaced.map((x) => x.p50))} | ${r.spread(directPaced.map((x) => x.p99))} |`,
    );
    r.say(
      `| through a bare node:http forwarder, no auth (baseline) | ${r.spread(viaForwarder.map((x) => x.rps))} | ${r.spread(forwarderPaced.map((x) => x.p50))} | ${r.spread(forwarderPaced.map((x) => x.p99))} |`,
    );
    r.say(
      `| through the OpenWIF gateway${errors ? ` (${errors} errors/non-2xx)` : ''} | ${r.spread(viaGateway.map((x) => x.rps))} | ${r.spread(gatewayPaced.map((x) => x.p50))} | ${r.spread(gatewayPaced.map((x) => x.p99))} |`,
    );
    r.say();
    r.say(
      `Gateway keeps **${((rps(viaGateway) / rps(direct)) * 100).toFixed(0)} %** of the direct throughput and adds **${r.fmt(p50(gatewayPaced) - p50(directPaced))} ms** at p50 at ${rate} req/s (target: ≥ 70 % and ≤ 1 ms).`,
    );
    r.say(
      `Against the bare forwarder (what a third process relaying the call costs here), the gateway keeps **${((rps(viaGateway) / rps(viaForwarder)) * 100).toFixed(0)} %** of the throughput and adds **${r.fmt(p50(gatewayPaced) - p50(forwarderPaced))} ms** at p50: that part is OpenWIF's own work (routing, token check, limits, headers).`,
    );
  } finally {
    await forwarder.stop();
    await server.stop();
    await upstream.close();
  }
}
