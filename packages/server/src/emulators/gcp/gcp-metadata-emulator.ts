/**
 * An emulated GCP metadata server (platforms.md §8): the default service account's identity
 * token at `/computeMetadata/v1/instance/service-accounts/{default|<email>}/identity`, plus the
 * discovery document and JWKS of the issuer that signs it. Clients find it through
 * `GCE_METADATA_HOST`. Real tokens say `iss: https://accounts.google.com`; these name the
 * emulator, whose keys a local OpenWIF can then fetch.
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, type JWTPayload } from 'jose';
import { listen, requestUrl, sendJson, type RunningServer } from '../shared/http-server.ts';
import { SigningKeyRing } from '../shared/signing-keys.ts';

export interface GcpMetadataEmulatorOptions {
  host?: string;
  port?: number;
  /** The VM's default service account; defaults to a demo account with a random numeric ID. */
  serviceAccount?: { email: string; uniqueId: string };
  /** `google.compute_engine` claims of `format=full` tokens. */
  instance?: Partial<GceInstance>;
  /** Default 3 600 s, as GCP's identity tokens. */
  tokenLifetimeSeconds?: number;
  now?: () => Date;
}

export interface GceInstance {
  projectId: string;
  projectNumber: number;
  zone: string;
  instanceId: string;
  instanceName: string;
  /** Seconds since the epoch. */
  instanceCreationTimestamp: number;
  licenseIds: string[];
}

export type GcpFaultStatus = 500 | 503;

const IDENTITY_PATH = /^\/computeMetadata\/v1\/instance\/service-accounts\/([^/]+)\/identity$/;
const MAX_AUDIENCE_LENGTH = 1000;
const MAX_QUEUED_FAULTS = 100;
const FLAVOR = { 'metadata-flavor': 'Google' };

function sendText(res: ServerResponse, status: number, text: string): void {
  // Every answer of the metadata server, errors included, says Metadata-Flavor: Google.
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...FLAVOR });
  res.end(text);
}

export class GcpMetadataEmulator {
  readonly baseUrl: string;
  readonly issuer: string;
  readonly serviceAccount: { email: string; uniqueId: string };
  readonly instance: GceInstance;
  readonly #server: RunningServer;
  readonly #keys: SigningKeyRing;
  readonly #now: () => Date;
  readonly #lifetimeSeconds: number;
  #faults: GcpFaultStatus[] = [];

  private constructor(server: RunningServer, keys: SigningKeyRing, options: GcpMetadataEmulatorOptions) {
    this.#server = server;
    this.#keys = keys;
    this.#now = options.now ?? (() => new Date());
    this.#lifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    this.baseUrl = server.baseUrl;
    this.issuer = server.baseUrl;
    // Service accounts' unique IDs are 21-digit numbers.
    this.serviceAccount = options.serviceAccount ?? {
      email: 'workload@demo-project.iam.gserviceaccount.com',
      uniqueId: `1${randomInt(1e10).toString().padStart(10, '0')}${randomInt(1e10).toString().padStart(10, '0')}`,
    };
    this.instance = {
      projectId: 'demo-project',
      projectNumber: 123456789012,
      zone: 'europe-west1-b',
      instanceId: '4567890123456789012',
      instanceName: 'demo-vm',
      instanceCreationTimestamp: 1_700_000_000,
      licenseIds: ['1000010'],
      ...options.instance,
    };
  }

  static async start(options: GcpMetadataEmulatorOptions = {}): Promise<GcpMetadataEmulator> {
    const lifetime = options.tokenLifetimeSeconds ?? 3600;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 86_400) throw new RangeError('tokenLifetimeSeconds must be between 1 and 86400');
    const keys = await SigningKeyRing.create({ kidStrategy: 'spki-sha256', graceSeconds: 86_400, ...(options.now ? { now: options.now } : {}) });
    let emulator: GcpMetadataEmulator | undefined;
    const server = await listen((req, res) => emulator?.handle(req, res), {
      ...(options.host ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    emulator = new GcpMetadataEmulator(server, keys, options);
    return emulator;
  }

  /** What the client libraries read to find this server. */
  env(): { GCE_METADATA_HOST: string } {
    return { GCE_METADATA_HOST: new URL(this.baseUrl).host };
  }

  /** Makes the next `count` well-formed identity requests fail with `status`. */
  failNext(fault: { status: GcpFaultStatus; count?: number }): void {
    const count = fault.count ?? 1;
    if (![500, 503].includes(fault.status)) throw new RangeError(`unsupported fault status ${String(fault.status)}`);
    if (!Number.isInteger(count) || count < 1 || this.#faults.length + count > MAX_QUEUED_FAULTS) {
      throw new RangeError(`count must be a positive integer; at most ${MAX_QUEUED_FAULTS} faults can be queued`);
    }
    this.#faults.push(...Array<GcpFaultStatus>(count).fill(fault.status));
  }

  async close(): Promise<void> {
    await this.#server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (req.method !== 'GET') return sendText(res, 405, 'Method not allowed');
    if (url.pathname === '/.well-known/openid-configuration') return sendJson(res, 200, this.#discovery());
    if (url.pathname === '/oauth2/v3/certs') return sendJson(res, 200, this.#jwks());
    const match = IDENTITY_PATH.exec(url.pathname);
    const account = match?.[1];
    const { email } = this.serviceAccount;
    if (account !== 'default' && account !== email && account !== encodeURIComponent(email)) return sendText(res, 404, 'Not Found');
    if (req.headers['metadata-flavor'] !== 'Google') return sendText(res, 403, 'Missing required header: Metadata-Flavor');
    // The metadata server refuses anything that looks proxied.
    if (req.headers['x-forwarded-for'] !== undefined) return sendText(res, 403, 'Request had an X-Forwarded-For header and was rejected');
    const audiences = url.searchParams.getAll('audience');
    const audience = audiences[0] ?? '';
    if (audiences.length !== 1 || audience === '' || audience.length > MAX_AUDIENCE_LENGTH) {
      return sendText(res, 400, 'non-empty audience parameter required');
    }
    const format = url.searchParams.get('format') ?? 'standard';
    if (format !== 'standard' && format !== 'full') return sendText(res, 400, 'format must be "standard" or "full"');
    const fault = this.#faults.shift();
    if (fault) return sendText(res, fault, 'The metadata server is temporarily unavailable.');
    const licenses = url.searchParams.get('licenses')?.toUpperCase() === 'TRUE';
    sendText(res, 200, await this.#sign(audience, format, licenses));
  }

  async #sign(audience: string, format: 'standard' | 'full', licenses: boolean): Promise<string> {
    const key = this.#keys.activeKey;
    const issuedAt = Math.floor(this.#now().getTime() / 1000);
    const { email, uniqueId } = this.serviceAccount;
    const claims: JWTPayload = { aud: audience, azp: uniqueId, exp: issuedAt + this.#lifetimeSeconds, iat: issuedAt, iss: this.issuer, sub: uniqueId };
    if (format === 'full') {
      const vm = this.instance;
      claims.email = email;
      claims.email_verified = true;
      claims.google = {
        compute_engine: {
          project_id: vm.projectId,
          project_number: vm.projectNumber,
          zone: vm.zone,
          instance_id: vm.instanceId,
          instance_name: vm.instanceName,
          instance_creation_timestamp: vm.instanceCreationTimestamp,
          instance_confidentiality: 0,
          ...(licenses ? { license_id: [...vm.licenseIds] } : {}),
        },
      };
    }
    // GCP's claim set has no jti: two requests for the same audience in one second get the same token.
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
  }

  #discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.baseUrl}/oauth2/v3/certs`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['aud', 'azp', 'email', 'email_verified', 'exp', 'google', 'iat', 'iss', 'sub'],
    };
  }

  #jwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: this.#keys
        .publishedKeys()
        .map((key) => ({ kty: key.publicJwk.kty, n: key.publicJwk.n, e: key.publicJwk.e, kid: key.kid, alg: key.alg, use: 'sig' })),
    };
  }
}
