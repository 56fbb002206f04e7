/**
 * An emulated Microsoft Entra ID tenant on loopback HTTPS: OIDC discovery (v1 and v2), JWKS,
 * the client-credentials token endpoint with federated assertions, on-demand key rotation,
 * and direct minting of managed-identity tokens for the IMDS emulator.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FetchLike } from '../shared/bounded-fetch.ts';
import { listen, readBody, requestUrl, sendJson, type RunningServer } from '../shared/http-server.ts';
import { createLoopbackTls, type TlsMaterial } from '../shared/loopback-tls.ts';
import { SigningKeyRing, type SigningKey } from '../shared/signing-keys.ts';
import { AadstsError, aadstsErrorBody, correlationIdFrom } from './aadsts-error.ts';
import { mintAccessToken, type AccessTokenVersion, type IssuedAccessToken } from './access-token.ts';
import { discoveryDocument, entraJwks, issuerFor, MULTI_TENANT_ALIASES } from './discovery.ts';
import { EntraDirectory, type EntraApplication, type EntraResource } from './directory.ts';
import { validateFederatedAssertion } from './federated-assertion.ts';
import { exchangeClientCredentials, tokenResponseBody, type TokenEndpointVersion } from './token-endpoint.ts';

export interface EntraEmulatorOptions {
  /** Directory (tenant) ID; a random GUID by default. */
  tenantId?: string;
  applications?: readonly EntraApplication[];
  resources?: readonly EntraResource[];
  /** HTTPS with a generated self-signed loopback certificate by default; `false` for plain HTTP. */
  tls?: TlsMaterial | false;
  host?: string;
  port?: number;
  /** Lifetime of client-credentials tokens; Entra issues 60–90 min, default 3599 s. */
  accessTokenLifetimeSeconds?: number;
  /** Lifetime of managed-identity tokens; about 24 h on Azure, default 86399 s. */
  managedIdentityTokenLifetimeSeconds?: number;
  /** How long a rotated-out signing key stays in the JWKS; default 86400 s. */
  keyGraceSeconds?: number;
  /** Skew allowed on the assertion's `exp`/`nbf`; default 0 so time checks are exact. */
  assertionClockToleranceSeconds?: number;
  /** Used to read external issuers' discovery + JWKS; pass one that trusts test CAs. */
  fetch?: FetchLike;
  now?: () => Date;
}

export interface ManagedIdentityTokenRequest {
  clientId: string;
  /** Resource as IMDS receives it: App ID URI or app ID, without `/.default`. */
  resource: string;
}

const MAX_LIFETIME_SECONDS = 7 * 86_400;

function positiveSeconds(value: number | undefined, fallback: number, what: string): number {
  const seconds = value ?? fallback;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_LIFETIME_SECONDS) {
    throw new RangeError(`${what} must be an integer between 1 and ${MAX_LIFETIME_SECONDS}`);
  }
  return seconds;
}

export class EntraEmulator {
  readonly tenantId: string;
  readonly baseUrl: string;
  /** PEM certificate clients must trust (e.g. via `NODE_EXTRA_CA_CERTS`); undefined over HTTP. */
  readonly caCertificate: string | undefined;
  readonly directory: EntraDirectory;
  readonly #server: RunningServer;
  readonly #keys: SigningKeyRing;
  readonly #options: EntraEmulatorOptions;
  readonly #now: () => Date;
  readonly #accessTokenLifetime: number;
  readonly #managedIdentityLifetime: number;

  private constructor(init: {
    server: RunningServer;
    keys: SigningKeyRing;
    directory: EntraDirectory;
    tenantId: string;
    tls: TlsMaterial | undefined;
    options: EntraEmulatorOptions;
    lifetimes: { accessToken: number; managedIdentity: number };
  }) {
    this.#server = init.server;
    this.#keys = init.keys;
    this.#options = init.options;
    this.#now = init.options.now ?? (() => new Date());
    this.#accessTokenLifetime = init.lifetimes.accessToken;
    this.#managedIdentityLifetime = init.lifetimes.managedIdentity;
    this.directory = init.directory;
    this.tenantId = init.tenantId;
    this.baseUrl = init.server.baseUrl;
    this.caCertificate = init.tls?.cert;
  }

  static async start(options: EntraEmulatorOptions = {}): Promise<EntraEmulator> {
    const tenantId = options.tenantId ?? randomUUID();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tenantId)) {
      throw new TypeError('tenantId must be a GUID');
    }
    // Every option is validated before listening, so a bad one never leaks a server.
    const lifetimes = {
      accessToken: positiveSeconds(options.accessTokenLifetimeSeconds, 3599, 'accessTokenLifetimeSeconds'),
      managedIdentity: positiveSeconds(options.managedIdentityTokenLifetimeSeconds, 86_399, 'managedIdentityTokenLifetimeSeconds'),
    };
    const directory = new EntraDirectory();
    for (const app of options.applications ?? []) directory.registerApplication(app);
    for (const resource of options.resources ?? []) directory.registerResource(resource);
    const keys = await SigningKeyRing.create({
      kidStrategy: 'x5t',
      certificateCommonName: 'accounts.accesscontrol.windows.net',
      graceSeconds: options.keyGraceSeconds ?? 86_400,
      ...(options.now ? { now: options.now } : {}),
    });
    const tls = options.tls === false ? undefined : (options.tls ?? (await createLoopbackTls()));
    let emulator: EntraEmulator | undefined;
    const server = await listen((req, res) => (emulator ? emulator.#handle(req, res) : undefined), {
      ...(tls ? { tls } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    emulator = new EntraEmulator({ server, keys, directory, tenantId, tls, options, lifetimes });
    return emulator;
  }

  /** Value for `authorityHost` in `@azure/identity` / MSAL. */
  get authorityHost(): string {
    return this.baseUrl;
  }

  issuer(version: AccessTokenVersion): string {
    return issuerFor(this.baseUrl, this.tenantId, version);
  }

  get activeKid(): string {
    return this.#keys.activeKey.kid;
  }

  /** New signer now; the previous key stays published for `keyGraceSeconds`. */
  async rotateKeys(options: { publishOnly?: boolean } = {}): Promise<{ kid: string }> {
    const key = await this.#keys.rotate(options);
    return { kid: key.kid };
  }

  /** Finds a managed identity (an application) by exactly one of its identifiers. */
  findManagedIdentity(selector: { clientId?: string; objectId?: string; resourceId?: string }): EntraApplication | undefined {
    if (selector.clientId !== undefined) return this.directory.application(selector.clientId);
    if (selector.objectId !== undefined) return this.directory.applicationWhere((app) => app.objectId === selector.objectId);
    if (selector.resourceId !== undefined) {
      const wanted = selector.resourceId.toLowerCase();
      return this.directory.applicationWhere((app) => app.managedIdentityResourceId?.toLowerCase() === wanted);
    }
    return undefined;
  }

  /** Mints a managed-identity token directly (what IMDS obtains from Entra). Throws AadstsError. */
  async issueManagedIdentityToken(request: ManagedIdentityTokenRequest): Promise<IssuedAccessToken> {
    const app = this.directory.application(request.clientId);
    if (!app) throw new AadstsError(700016, `Application with identifier '${request.clientId.slice(0, 100)}' was not found in the directory.`);
    const resource = this.directory.resource(request.resource);
    if (!resource) throw new AadstsError(500011, `The resource principal named ${request.resource.slice(0, 600)} was not found in the tenant.`);
    return this.#mint(app, resource, request.resource, this.#managedIdentityLifetime);
  }

  async close(): Promise<void> {
    await this.#server.close();
  }

  #mint(app: EntraApplication, resource: EntraResource, requestedResource: string, lifetimeSeconds: number): Promise<IssuedAccessToken> {
    return mintAccessToken({
      key: this.#keys.activeKey,
      tenantId: this.tenantId,
      issuer: { '1.0': this.issuer('1.0'), '2.0': this.issuer('2.0') },
      app,
      resource,
      requestedResource,
      lifetimeSeconds,
      now: this.#now(),
    });
  }

  #isTenant(segment: string | undefined, allowMultiTenant: boolean): boolean {
    if (segment === undefined) return false;
    if (segment.toLowerCase() === this.tenantId.toLowerCase()) return true;
    return allowMultiTenant && (MULTI_TENANT_ALIASES as readonly string[]).includes(segment);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const segments = url.pathname.split('/').slice(1);
    const route = segments.slice(1).join('/');
    const tenant = segments[0];
    const correlationId = correlationIdFrom(req.headers['client-request-id']);

    if (route === 'oauth2/v2.0/token' || route === 'oauth2/token') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request', error_description: 'Only POST is supported.' }, { allow: 'POST' });
      return this.#token(req, res, tenant ?? '', route === 'oauth2/token' ? 'v1' : 'v2', correlationId);
    }
    const documents: Record<string, () => unknown> = {
      'v2.0/.well-known/openid-configuration': () => discoveryDocument(this.baseUrl, tenant ?? '', '2.0'),
      '.well-known/openid-configuration': () => discoveryDocument(this.baseUrl, tenant ?? '', '1.0'),
      'discovery/v2.0/keys': () => this.#jwks(tenant ?? '', '2.0'),
      'discovery/keys': () => this.#jwks(tenant ?? '', '1.0'),
    };
    const tenantlessKeys = url.pathname === '/discovery/v2.0/keys' || url.pathname === '/discovery/keys';
    const document = tenantlessKeys ? () => this.#jwks('common', url.pathname.includes('v2.0') ? '2.0' : '1.0') : documents[route];
    if (!document) return sendJson(res, 404, { error: 'not_found', error_description: 'No such endpoint.' });
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendJson(res, 405, { error: 'invalid_request', error_description: 'Only GET is supported.' }, { allow: 'GET' });
    if (!tenantlessKeys && !this.#isTenant(tenant, true)) {
      return this.#sendError(res, new AadstsError(90002, `Tenant '${(tenant ?? '').slice(0, 100)}' not found.`), correlationId);
    }
    sendJson(res, 200, document(), { 'cache-control': 'max-age=86400, private' });
  }

  #jwks(tenant: string, version: AccessTokenVersion): unknown {
    const issuerTenant = (MULTI_TENANT_ALIASES as readonly string[]).includes(tenant) ? '{tenantid}' : this.tenantId;
    const keys: SigningKey[] = this.#keys.publishedKeys();
    return entraJwks(keys, issuerFor(this.baseUrl, issuerTenant, version));
  }

  async #token(req: IncomingMessage, res: ServerResponse, tenant: string, endpoint: TokenEndpointVersion, correlationId: string): Promise<void> {
    const body = await readBody(req);
    try {
      if (!this.#isTenant(tenant, false)) throw new AadstsError(90002, `Tenant '${tenant.slice(0, 100)}' not found.`);
      const isForm = (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
      const form = new URLSearchParams(isForm ? body.toString('utf8') : '');
      const issued = await exchangeClientCredentials(form, endpoint, {
        directory: this.directory,
        validateAssertion: (assertion, app) =>
          validateFederatedAssertion(assertion, app, {
            fetch: this.#options.fetch ?? fetch,
            now: this.#now(),
            clockToleranceSeconds: this.#options.assertionClockToleranceSeconds ?? 0,
          }),
        mint: (app, resource, requested) => this.#mint(app, resource, requested, this.#accessTokenLifetime),
      });
      sendJson(res, 200, tokenResponseBody(issued, endpoint, this.#now()), this.#tokenHeaders(correlationId));
    } catch (error) {
      if (!(error instanceof AadstsError)) throw error;
      this.#sendError(res, error, correlationId);
    }
  }

  #tokenHeaders(correlationId: string): Record<string, string> {
    return { 'cache-control': 'no-store, no-cache', pragma: 'no-cache', 'client-request-id': correlationId, 'x-ms-request-id': randomUUID() };
  }

  #sendError(res: ServerResponse, error: AadstsError, correlationId: string): void {
    const body = aadstsErrorBody(error, { now: this.#now(), correlationId, authorityBaseUrl: this.baseUrl });
    sendJson(res, error.status, body, { ...this.#tokenHeaders(correlationId), 'x-ms-request-id': body.trace_id });
  }
}
