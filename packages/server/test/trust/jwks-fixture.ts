/** Loopback JWKS servers and issuer records for the trust tests. */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { SignJWT, type JWK } from 'jose';
import type { Issuer, JwksConfig } from '../../src/domain/types.ts';
import { newSigningKey, type KeyAlg, type SigningKey } from '../helpers/test-issuer.ts';
import type { TlsMaterial } from '../helpers/tls.ts';

export { newSigningKey, type SigningKey };

/** How the JWKS endpoint answers. */
export type JwksMode = 'ok' | 'status-500' | 'garbage' | 'redirect' | 'slow' | 'oversized' | 'chunked-oversized';

export class JwksServer {
  published: JWK[] = [];
  mode: JwksMode = 'ok';
  /** What the discovery document claims as `issuer`; defaults to the server's own URL. */
  discoveryIssuer: string | null = null;
  requests = { discovery: 0, jwks: 0, redirectTarget: 0 };
  connections = 0;
  /** Most JWKS requests being answered at the same moment (for the concurrency bound). */
  peakConcurrent = 0;
  /** Delay before answering a JWKS request, in ms (used with several issuers in flight). */
  delayMs = 0;
  url = '';
  private concurrent = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(options: { tls?: TlsMaterial } = {}): Promise<JwksServer> {
    let jwks: JwksServer | null = null;
    const handler = (req: IncomingMessage, res: ServerResponse) => jwks!.handle(req, res);
    const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createHttpServer(handler);
    jwks = new JwksServer(server);
    server.on('connection', (socket: Socket) => {
      jwks!.connections++;
      jwks!.sockets.add(socket);
      socket.on('close', () => jwks!.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwks.url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return jwks;
  }

  get jwksUrl(): string {
    return `${this.url}/jwks`;
  }

  publish(...keys: SigningKey[]): void {
    this.published = keys.map((k) => k.publicJwk);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/.well-known/openid-configuration') {
      this.requests.discovery++;
      return json(res, { issuer: this.discoveryIssuer ?? this.url, jwks_uri: this.jwksUrl });
    }
    if (path === '/elsewhere') {
      this.requests.redirectTarget++;
      return json(res, { keys: this.published });
    }
    if (path !== '/jwks') {
      res.statusCode = 404;
      return void res.end();
    }
    this.requests.jwks++;
    this.concurrent++;
    this.peakConcurrent = Math.max(this.peakConcurrent, this.concurrent);
    res.on('close', () => this.concurrent--);
    const answer = () => this.answerJwks(res);
    if (this.delayMs > 0) setTimeout(answer, this.delayMs);
    else answer();
  }

  private answerJwks(res: ServerResponse): void {
    switch (this.mode) {
      case 'ok':
        return json(res, { keys: this.published });
      case 'status-500':
        res.statusCode = 500;
        return void res.end('{"error":"internal"}');
      case 'garbage':
        res.setHeader('content-type', 'application/json');
        return void res.end('<html>not json</html>');
      case 'redirect':
        res.statusCode = 302;
        res.setHeader('location', `${this.url}/elsewhere`);
        return void res.end();
      case 'slow':
        res.setHeader('content-type', 'application/json');
        res.write('{"keys":');
        return; // never finishes
      case 'oversized':
        return json(res, { keys: this.published, padding: 'x'.repeat(2 * 1024 * 1024) });
      case 'chunked-oversized': {
        res.setHeader('content-type', 'application/json');
        const chunk = 'x'.repeat(64 * 1024);
        res.write('{"padding":"');
        for (let i = 0; i < 40; i++) res.write(chunk);
        return void res.end('"}');
      }
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function json(res: ServerResponse, body: unknown): void {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

let counter = 0;

/** An issuer record as the store would hand it out. */
export function issuerRecord(issuerUrl: string, jwks: JwksConfig, overrides: Partial<Issuer> = {}): Issuer {
  const at = new Date(0).toISOString();
  counter++;
  return {
    id: `fdis_test${String(counter).padStart(20, '0')}`,
    organization_id: 'org-test',
    name: `issuer-${counter}`,
    issuer_url: issuerUrl,
    jwks,
    check_jti: true,
    max_jwt_lifetime_seconds: 3600,
    jwks_polling_disabled_at: null,
    poll_status: null,
    created_at: at,
    updated_at: at,
    archived_at: null,
    created_by_actor_id: null,
    updated_by_actor_id: null,
    archived_by_actor_id: null,
    ...overrides,
  };
}

export async function signWith(key: SigningKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'workload', iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

export async function keyOf(alg: KeyAlg, kid?: string): Promise<SigningKey> {
  return newSigningKey(alg, kid);
}

/** A controllable clock starting at a fixed instant. */
export function manualClock(start = Date.parse('2030-01-01T00:00:00Z')): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}
