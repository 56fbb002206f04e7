import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Settings } from '../../src/config/settings.ts';
import type { GatewayRouteOptions } from '../../src/gateway/index.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import { DEFAULT_AUDIENCE, exchange, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';
import type { TestIssuer } from '../helpers/test-issuer.ts';

export const TEST_SECRET_KEY = Buffer.alloc(32, 7);

export type GatewayTestServer = TestServer;

/**
 * The real server with the gateway's test options (short timeouts, small limiters) and a
 * secret key for sealing upstream credentials.
 */
export function startGatewayServer(options: { settings?: Partial<Settings>; gateway?: GatewayRouteOptions; now?: () => Date } = {}): Promise<TestServer> {
  return startTestServer(
    { secretKey: TEST_SECRET_KEY, ...options.settings },
    { ...(options.now ? { now: options.now } : {}), gateway: { standIn: true, ...options.gateway } },
  );
}

/** A service account federated through the test issuer, and a token minted for it by a real exchange. */
export async function mintToken(
  server: TestServer,
  issuer: TestIssuer,
  options: { scope?: string; role?: 'admin' | 'developer' } = {},
): Promise<{ token: string; federation: Federation }> {
  const subject = `workload-${randomUUID()}`;
  const federation = await seedFederation(server, {
    issuerUrl: issuer.url,
    match: { subject_prefix: subject },
    rule: { oauth_scope: options.scope ?? 'workspace:developer' },
    serviceAccount: { organization_role: options.role ?? (options.scope === 'org:admin' ? 'admin' : 'developer') },
  });
  const assertion = await issuer.sign({ sub: subject, aud: DEFAULT_AUDIENCE, jti: randomUUID() });
  const res = await exchange(server, federation, assertion);
  if (res.status !== 200) throw new Error(`exchange failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.access_token as string, federation };
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type UpstreamBehaviour = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

/**
 * A loopback upstream that records every request (headers and full body) and answers as the
 * test says; by default a small JSON message. `closed` resolves per request when the gateway
 * side of the connection goes away.
 */
export class RecordingUpstream {
  readonly requests: RecordedRequest[] = [];
  /** Resolved each time an upstream response is closed by the peer before it ended. */
  readonly aborted: Array<Promise<void>> = [];
  behaviour: UpstreamBehaviour = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_upstream_default' });
    res.end(JSON.stringify({ type: 'message', id: 'msg_recorded', content: [] }));
  };
  private server: Server | null = null;
  url = '';

  static async start(): Promise<RecordingUpstream> {
    const upstream = new RecordingUpstream();
    upstream.server = createServer((req, res) => {
      let resolveAborted: () => void = () => undefined;
      upstream.aborted.push(new Promise((r) => (resolveAborted = r)));
      res.once('close', () => {
        if (!res.writableFinished) resolveAborted();
      });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        upstream.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        void upstream.behaviour(req, res, body);
      });
    });
    await new Promise<void>((resolve) => upstream.server!.listen(0, '127.0.0.1', resolve));
    upstream.url = `http://127.0.0.1:${(upstream.server.address() as AddressInfo).port}`;
    return upstream;
  }

  last(): RecordedRequest {
    const found = this.requests.at(-1);
    if (!found) throw new Error('the upstream received no request');
    return found;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Splits a server-sent-event body into `{event, data}` frames. */
export function parseSse(text: string): Array<{ event: string; data: any }> {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(frame)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) };
    });
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...extra };
}

export const MESSAGE_BODY = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hello gateway' }] };

/** The counter value for one label set, read from the app's own registry. */
export async function gatewayCount(metrics: Metrics, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.gatewayRequests.get();
  return metric.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k as keyof typeof v.labels] === val)).reduce((n, v) => n + v.value, 0);
}

/** A request with exactly these headers (fetch refuses hop-by-hop ones) and an optional chunked body. */
export function rawRequest(
  baseUrl: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean },
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const url = new URL(options.path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: options.method, path: options.path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined && options.chunked) {
      // Several writes without Content-Length: node sends them chunked.
      const data = Buffer.from(options.body);
      for (let at = 0; at < data.length; at += 1024) req.write(data.subarray(at, at + 1024));
      req.end();
    } else req.end(options.body);
  });
}
