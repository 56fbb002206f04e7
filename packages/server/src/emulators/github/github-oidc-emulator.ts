/**
 * An emulated GitHub Actions OIDC provider: issuer discovery + JWKS, and the per-job token
 * request URL (`ACTIONS_ID_TOKEN_REQUEST_URL`, already carrying a query string) that answers
 * `{"value": "<jwt>"}` to the job's bearer token.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT, type JWTPayload } from 'jose';
import { listen, requestUrl, sendJson, type RunningServer } from '../shared/http-server.ts';
import { createLoopbackTls, type TlsMaterial } from '../shared/loopback-tls.ts';
import { SigningKeyRing } from '../shared/signing-keys.ts';
import { defaultAudience, jobClaims, type GitHubJobOptions } from './job-claims.ts';

export interface GitHubOidcEmulatorOptions {
  /** Plain HTTP by default; `true` generates a loopback certificate. */
  tls?: TlsMaterial | boolean;
  host?: string;
  port?: number;
  /** Default 300 s, as GitHub's documented example (`exp = iat + 300`). */
  tokenLifetimeSeconds?: number;
  keyGraceSeconds?: number;
  now?: () => Date;
}

export interface GitHubJob {
  readonly id: string;
  readonly requestUrl: string;
  readonly requestToken: string;
  readonly claims: JWTPayload;
  readonly repository: string;
}

export type GitHubFaultStatus = 500 | 502 | 503 | 504;

const MAX_JOBS = 1000;
const MAX_AUDIENCE_LENGTH = 1000;
const MAX_QUEUED_FAULTS = 100;
/** GitHub's example token has `nbf` ten minutes before `iat`. */
const NOT_BEFORE_SKEW_SECONDS = 600;
const TOKEN_PATH = /^\/_apis\/distributedtask\/hubs\/build\/plans\/([0-9a-f-]{36})\/jobs\/([0-9a-f-]{36})\/idtoken$/;

const UNAUTHORIZED = {
  $id: '1',
  innerException: null,
  message: 'TF400813: The user is not authorized to access this resource.',
  typeName: 'Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server',
  typeKey: 'UnauthorizedRequestException',
  errorCode: 0,
  eventId: 3000,
};

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class GitHubOidcEmulator {
  readonly baseUrl: string;
  readonly issuer: string;
  readonly caCertificate: string | undefined;
  readonly #server: RunningServer;
  readonly #keys: SigningKeyRing;
  readonly #now: () => Date;
  readonly #lifetimeSeconds: number;
  readonly #jobs = new Map<string, GitHubJob>();
  #faults: GitHubFaultStatus[] = [];

  private constructor(server: RunningServer, keys: SigningKeyRing, tls: TlsMaterial | undefined, options: GitHubOidcEmulatorOptions) {
    this.#server = server;
    this.#keys = keys;
    this.#now = options.now ?? (() => new Date());
    this.#lifetimeSeconds = options.tokenLifetimeSeconds ?? 300;
    this.baseUrl = server.baseUrl;
    this.issuer = server.baseUrl;
    this.caCertificate = tls?.cert;
  }

  static async start(options: GitHubOidcEmulatorOptions = {}): Promise<GitHubOidcEmulator> {
    const lifetime = options.tokenLifetimeSeconds ?? 300;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 86_400) throw new RangeError('tokenLifetimeSeconds must be between 1 and 86400');
    const keys = await SigningKeyRing.create({
      kidStrategy: 'x5t',
      certificateCommonName: 'token.actions.githubusercontent.com',
      graceSeconds: options.keyGraceSeconds ?? 86_400,
      ...(options.now ? { now: options.now } : {}),
    });
    const tls = options.tls === true ? await createLoopbackTls() : options.tls || undefined;
    let emulator: GitHubOidcEmulator | undefined;
    const server = await listen((req, res) => emulator?.handle(req, res), {
      ...(tls ? { tls } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    emulator = new GitHubOidcEmulator(server, keys, tls, options);
    return emulator;
  }

  /** Registers a job (`permissions: id-token: write`) and returns its request URL and token. */
  registerJob(options: GitHubJobOptions): GitHubJob {
    if (this.#jobs.size >= MAX_JOBS) throw new RangeError(`at most ${MAX_JOBS} jobs can be registered`);
    const claims = jobClaims(options);
    const id = randomUUID();
    const job: GitHubJob = {
      id,
      requestUrl: `${this.baseUrl}/_apis/distributedtask/hubs/build/plans/${randomUUID()}/jobs/${id}/idtoken?api-version=2.0`,
      requestToken: randomBytes(32).toString('base64url'),
      claims,
      repository: options.repository,
    };
    this.#jobs.set(id, job);
    return job;
  }

  /** The two variables the runner exposes to a job with `id-token: write`. */
  envForJob(job: GitHubJob): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string } {
    return { ACTIONS_ID_TOKEN_REQUEST_URL: job.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: job.requestToken };
  }

  /** Makes the next `count` authorised token requests fail with `status`. */
  failNext(fault: { status: GitHubFaultStatus; count?: number }): void {
    const count = fault.count ?? 1;
    if (![500, 502, 503, 504].includes(fault.status)) throw new RangeError(`unsupported fault status ${String(fault.status)}`);
    if (!Number.isInteger(count) || count < 1 || this.#faults.length + count > MAX_QUEUED_FAULTS) {
      throw new RangeError(`count must be a positive integer; at most ${MAX_QUEUED_FAULTS} faults can be queued`);
    }
    this.#faults.push(...Array<GitHubFaultStatus>(count).fill(fault.status));
  }

  get activeKid(): string {
    return this.#keys.activeKey.kid;
  }

  async rotateKeys(options: { publishOnly?: boolean } = {}): Promise<{ kid: string }> {
    return { kid: (await this.#keys.rotate(options)).kid };
  }

  async close(): Promise<void> {
    await this.#server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    if (req.method !== 'GET') return sendJson(res, 405, { message: 'Method not allowed' }, { allow: 'GET' });
    if (url.pathname === '/.well-known/openid-configuration') return sendJson(res, 200, this.#discovery());
    if (url.pathname === '/.well-known/jwks') return sendJson(res, 200, this.#jwks());
    const match = TOKEN_PATH.exec(url.pathname);
    if (!match) return sendJson(res, 404, { message: 'Not found' });
    const job = this.#jobs.get(match[2] ?? '');
    const [scheme, credential] = (req.headers.authorization ?? '').split(' ', 2);
    if (!job || scheme?.toLowerCase() !== 'bearer' || !credential || !sameSecret(credential, job.requestToken)) {
      return sendJson(res, 401, UNAUTHORIZED);
    }
    const audience = url.searchParams.get('audience') ?? defaultAudience(job.repository);
    if (audience === '' || audience.length > MAX_AUDIENCE_LENGTH || url.searchParams.getAll('audience').length > 1) {
      return sendJson(res, 400, { message: 'The audience parameter must be a single value of 1 to 1000 characters.' });
    }
    const fault = this.#faults.shift();
    if (fault) return sendJson(res, fault, { message: 'The service is temporarily unavailable.' });
    sendJson(res, 200, { value: await this.#sign(job, audience) });
  }

  async #sign(job: GitHubJob, audience: string): Promise<string> {
    const key = this.#keys.activeKey;
    const issuedAt = Math.floor(this.#now().getTime() / 1000);
    const { sub, ...rest } = job.claims;
    return new SignJWT({
      jti: randomUUID(),
      sub,
      aud: audience,
      ...rest,
      iss: this.issuer,
      nbf: issuedAt - NOT_BEFORE_SKEW_SECONDS,
      exp: issuedAt + this.#lifetimeSeconds,
      iat: issuedAt,
    })
      .setProtectedHeader({ typ: 'JWT', alg: key.alg, x5t: key.x5t ?? key.kid, kid: key.kid })
      .sign(key.privateKey);
  }

  #discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.baseUrl}/.well-known/jwks`,
      subject_types_supported: ['public', 'pairwise'],
      response_types_supported: ['id_token'],
      claims_supported: [
        'sub',
        'aud',
        'exp',
        'iat',
        'iss',
        'jti',
        'nbf',
        'ref',
        'ref_type',
        'sha',
        'repository',
        'repository_id',
        'repository_owner',
        'repository_owner_id',
        'repository_visibility',
        'run_id',
        'run_number',
        'run_attempt',
        'runner_environment',
        'actor',
        'actor_id',
        'workflow',
        'workflow_ref',
        'workflow_sha',
        'job_workflow_ref',
        'job_workflow_sha',
        'event_name',
        'head_ref',
        'base_ref',
        'environment',
        'enterprise',
        'enterprise_id',
      ],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
    };
  }

  #jwks(): { keys: Record<string, unknown>[] } {
    return {
      keys: this.#keys.publishedKeys().map((key) => ({
        n: key.publicJwk.n,
        kty: key.publicJwk.kty,
        kid: key.kid,
        alg: key.alg,
        e: key.publicJwk.e,
        use: 'sig',
        ...(key.x5c ? { x5c: [...key.x5c] } : {}),
        ...(key.x5t ? { x5t: key.x5t } : {}),
      })),
    };
  }
}
