import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export type KeyAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export interface SigningKey {
  kid: string;
  alg: KeyAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function newSigningKey(alg: KeyAlg = 'RS256', kid = `key-${alg.toLowerCase()}-${Math.random().toString(36).slice(2, 8)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/**
 * An OIDC issuer on a real loopback HTTP server: discovery at `/.well-known/openid-configuration`,
 * keys at `/jwks`, requests counted so tests can assert fetch behaviour.
 */
export class TestIssuer {
  readonly keys: SigningKey[] = [];
  published: JWK[] = [];
  requests = { discovery: 0, jwks: 0 };
  /** When set, the JWKS endpoint answers with this status instead of the keys. */
  failWith: number | null = null;
  private server: Server | null = null;
  url = '';

  static async start(algs: KeyAlg[] = ['RS256']): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    for (const alg of algs) issuer.addKey(await newSigningKey(alg));
    await issuer.listen();
    return issuer;
  }

  addKey(key: SigningKey, publish = true): void {
    this.keys.push(key);
    if (publish) this.published.push(key.publicJwk);
  }

  key(alg?: KeyAlg): SigningKey {
    const found = alg ? this.keys.find((k) => k.alg === alg) : this.keys[0];
    if (!found) throw new Error(`test issuer has no ${alg} key`);
    return found;
  }

  async sign(
    claims: JWTPayload,
    options: { key?: SigningKey; header?: Record<string, unknown>; lifetimeSeconds?: number; now?: number } = {},
  ): Promise<string> {
    const key = options.key ?? this.key();
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const lifetime = options.lifetimeSeconds ?? 300;
    return new SignJWT({ iss: this.url, iat: now, exp: now + lifetime, ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
      .sign(key.privateKey);
  }

  /**
   * Signs any header verbatim (RS256 keys only), for hostile headers a well-behaved library
   * refuses to produce, such as an unknown `crit`.
   */
  async signRaw(header: Record<string, unknown>, payload: Record<string, unknown>, key: SigningKey = this.key('RS256')): Promise<string> {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${enc(header)}.${enc(payload)}`;
    const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key.privateKey, new TextEncoder().encode(input));
    return `${input}.${Buffer.from(signature).toString('base64url')}`;
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/.well-known/openid-configuration') {
        this.requests.discovery++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: this.url, jwks_uri: `${this.url}/jwks` }));
        return;
      }
      if (path === '/jwks') {
        this.requests.jwks++;
        if (this.failWith !== null) {
          res.statusCode = this.failWith;
          res.end('unavailable');
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: this.published }));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
