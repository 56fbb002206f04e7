// Gateway baseline: the cheapest possible forwarder on node:http, no authentication, no checks.
// What a third process relaying every call costs on this machine, before OpenWIF does anything.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const upstream = new URL(process.env.BENCH_UPSTREAM_URL ?? '');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const outgoing = http.request(upstream, { method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent }, (response) => {
    res.writeHead(response.statusCode ?? 502, response.headers);
    response.pipe(res);
  });
  outgoing.on('error', () => res.destroy());
  req.pipe(outgoing);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
