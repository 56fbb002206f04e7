/**
 * An emulated Kubernetes service-account issuer: OIDC discovery with the API server's minimal
 * field set, `/openid/v1/jwks` (keys carry `alg`; `kid` = SHA-256 of the public key), and
 * projected token files written and rotated like the kubelet's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, requestUrl, sendJson, type RunningServer } from '../shared/http-server.ts';
import { createLoopbackTls, type TlsMaterial } from '../shared/loopback-tls.ts';
import { SigningKeyRing } from '../shared/signing-keys.ts';
import { MIN_EXPIRATION_SECONDS, signServiceAccountToken, validateTokenRequest, type ProjectedTokenOptions } from './service-account-token.ts';
import { scheduleRotation, writeFileAtomically, type TokenRotation } from './token-file.ts';

export interface KubernetesIssuerOptions {
  /**
   * Path of the issuer under the emulator's origin. AKS issuers look like
   * `/<tenant>/<uuid>/` (trailing slash included); the default is the bare origin.
   */
  issuerPath?: string;
  /** Plain HTTP by default; `true` generates a loopback certificate. */
  tls?: TlsMaterial | boolean;
  host?: string;
  port?: number;
  /** `--service-account-max-token-expiration`; default 86400 s (AKS caps at 24 h). */
  maxExpirationSeconds?: number;
  /** How long a rotated-out key stays in the JWKS; default 86400 s. */
  keyGraceSeconds?: number;
  now?: () => Date;
}

export interface WrittenToken {
  token: string;
  expiresAt: Date;
}

const MAX_REMEMBERED_UIDS = 10_000;
const MAX_ROTATIONS = 100;
const ROTATE_AT_FRACTION_OF_TTL = 0.8;

export class KubernetesIssuer {
  readonly baseUrl: string;
  readonly issuer: string;
  readonly caCertificate: string | undefined;
  readonly #server: RunningServer;
  readonly #keys: SigningKeyRing;
  readonly #now: () => Date;
  readonly #maxExpirationSeconds: number;
  readonly #issuerPath: string;
  readonly #uids = new Map<string, string>();
  readonly #rotations = new Set<TokenRotation>();

  private constructor(server: RunningServer, keys: SigningKeyRing, tls: TlsMaterial | undefined, options: KubernetesIssuerOptions) {
    this.#server = server;
    this.#keys = keys;
    this.#now = options.now ?? (() => new Date());
    this.#maxExpirationSeconds = options.maxExpirationSeconds ?? 86_400;
    this.#issuerPath = (options.issuerPath ?? '').replace(/\/+$/, '');
    this.baseUrl = server.baseUrl;
    this.issuer = `${server.baseUrl}${options.issuerPath ?? ''}`;
    this.caCertificate = tls?.cert;
  }

  static async start(options: KubernetesIssuerOptions = {}): Promise<KubernetesIssuer> {
    if (options.issuerPath !== undefined && !/^(\/[A-Za-z0-9._~-]+)+\/?$/.test(options.issuerPath)) {
      throw new TypeError('issuerPath must be an absolute path without query or fragment');
    }
    const maxExpiration = options.maxExpirationSeconds ?? 86_400;
    if (!Number.isInteger(maxExpiration) || maxExpiration < MIN_EXPIRATION_SECONDS || maxExpiration > 2 ** 31) {
      throw new RangeError(`maxExpirationSeconds must be an integer of at least ${MIN_EXPIRATION_SECONDS}`);
    }
    const keys = await SigningKeyRing.create({
      kidStrategy: 'spki-sha256',
      graceSeconds: options.keyGraceSeconds ?? 86_400,
      ...(options.now ? { now: options.now } : {}),
    });
    const tls = options.tls === true ? await createLoopbackTls() : options.tls || undefined;
    let issuer: KubernetesIssuer | undefined;
    const server = await listen((req, res) => issuer?.handle(req, res), {
      ...(tls ? { tls } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    issuer = new KubernetesIssuer(server, keys, tls, options);
    return issuer;
  }

  get jwksUri(): string {
    return `${this.baseUrl}${this.#issuerPath}/openid/v1/jwks`;
  }

  get activeKid(): string {
    return this.#keys.activeKey.kid;
  }

  async rotateKeys(options: { publishOnly?: boolean } = {}): Promise<{ kid: string }> {
    return { kid: (await this.#keys.rotate(options)).kid };
  }

  /** A signed projected token, as the TokenRequest API would return it. */
  async mintToken(options: ProjectedTokenOptions): Promise<string> {
    return (await this.#mint(options)).token;
  }

  /** Writes a fresh token to `path` atomically (temp file + rename, mode 0644). */
  async writeProjectedToken(path: string, options: ProjectedTokenOptions): Promise<WrittenToken> {
    const written = await this.#mint(options);
    await writeFileAtomically(path, written.token);
    return written;
  }

  /**
   * Writes the token now and again every `intervalMs` (default: 80 % of its lifetime, as the
   * kubelet does) until `stop()` or `close()`.
   */
  startRotation(path: string, options: ProjectedTokenOptions, intervalMs?: number): TokenRotation {
    const expirationSeconds = validateTokenRequest(options, this.#maxExpirationSeconds);
    const interval = intervalMs ?? expirationSeconds * 1000 * ROTATE_AT_FRACTION_OF_TTL;
    if (interval >= expirationSeconds * 1000) throw new RangeError('rotation interval must be shorter than the token lifetime');
    if (this.#rotations.size >= MAX_ROTATIONS) throw new RangeError(`at most ${MAX_ROTATIONS} token files can rotate at once`);
    const rotation = scheduleRotation(
      async () => {
        await this.writeProjectedToken(path, options);
      },
      interval,
      () => this.#rotations.delete(rotation),
    );
    this.#rotations.add(rotation);
    return rotation;
  }

  async close(): Promise<void> {
    for (const rotation of [...this.#rotations]) rotation.stop();
    await this.#server.close();
  }

  async #mint(options: ProjectedTokenOptions): Promise<WrittenToken> {
    const expirationSeconds = validateTokenRequest(options, this.#maxExpirationSeconds);
    const { token, claims } = await signServiceAccountToken({
      issuer: this.issuer,
      key: this.#keys.activeKey,
      now: this.#now(),
      expirationSeconds,
      options,
      uidFor: (kind, name) => this.#uidFor(`${kind}:${name}`),
    });
    return { token, expiresAt: new Date((claims.exp ?? 0) * 1000) };
  }

  #uidFor(name: string): string {
    const known = this.#uids.get(name);
    if (known) return known;
    if (this.#uids.size >= MAX_REMEMBERED_UIDS) {
      const oldest = this.#uids.keys().next().value;
      if (oldest !== undefined) this.#uids.delete(oldest);
    }
    const uid = randomUUID();
    this.#uids.set(name, uid);
    return uid;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const { pathname } = requestUrl(req);
    const headers = { 'cache-control': 'public, max-age=3600' };
    const isDiscovery = pathname === `${this.#issuerPath}/.well-known/openid-configuration`;
    const isJwks = pathname === `${this.#issuerPath}/openid/v1/jwks`;
    if (!isDiscovery && !isJwks) return sendJson(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'MethodNotAllowed', code: 405 }, { allow: 'GET' });
    }
    const keys = this.#keys.publishedKeys();
    if (isDiscovery) {
      return sendJson(
        res,
        200,
        {
          issuer: this.issuer,
          jwks_uri: this.jwksUri,
          response_types_supported: ['id_token'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: [...new Set(keys.map((key) => key.alg))],
        },
        headers,
      );
    }
    sendJson(
      res,
      200,
      {
        keys: keys.map((key) => ({ use: 'sig', kty: key.publicJwk.kty, kid: key.kid, alg: key.alg, n: key.publicJwk.n, e: key.publicJwk.e })),
      },
      { ...headers, 'content-type': 'application/jwk-set+json' },
    );
  }
}
