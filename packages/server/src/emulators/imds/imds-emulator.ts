/**
 * An emulated Azure IMDS managed-identity endpoint on loopback HTTP. Unmodified clients reach it
 * with `AZURE_POD_IDENTITY_AUTHORITY_HOST=<baseUrl>`. Tokens come from an Entra tenant (the
 * Entra emulator), in v1 or v2 shape as the resource dictates; every response field is a string.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AadstsError } from '../entra/aadsts-error.ts';
import type { IssuedAccessToken } from '../entra/access-token.ts';
import { listen, requestUrl, sendJson, type RunningServer } from '../shared/http-server.ts';
import { FAULT_BODIES, FaultQueue, type ImdsFault, type PendingFault } from './faults.ts';
import { validateImdsRequest, type IdentitySelector, type ValidImdsRequest } from './imds-request.ts';

export interface ManagedIdentityRecord {
  clientId: string;
  objectId: string;
  managedIdentityResourceId?: string;
}

/** What IMDS needs from Entra; `EntraEmulator` implements it. */
export interface ManagedIdentityTokenSource {
  findManagedIdentity(selector: { clientId?: string; objectId?: string; resourceId?: string }): ManagedIdentityRecord | undefined;
  issueManagedIdentityToken(request: { clientId: string; resource: string }): Promise<IssuedAccessToken>;
}

export interface ImdsEmulatorOptions {
  tokenSource: ManagedIdentityTokenSource;
  /** Client ID of the VM's system-assigned identity, if it has one. */
  systemAssignedClientId?: string;
  /** Client IDs of the user-assigned identities attached to the VM. */
  userAssignedClientIds?: readonly string[];
  /** `error` for a missing `Metadata` header; the docs say `bad_request_102`. */
  metadataErrorCode?: string;
  host?: string;
  port?: number;
  now?: () => Date;
}

export interface ImdsRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  metadataHeader: string | undefined;
  status: number;
}

export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token';
const MAX_RECORDED_REQUESTS = 100;
const MAX_CACHED_TOKENS = 1000;
/** A cached token is reissued once less than this much of its life remains. */
const CACHE_REFRESH_MARGIN_SECONDS = 300;

export class ImdsEmulator {
  readonly baseUrl: string;
  readonly #server: RunningServer;
  readonly #options: ImdsEmulatorOptions;
  readonly #now: () => Date;
  readonly #faults = new FaultQueue();
  readonly #cache = new Map<string, IssuedAccessToken>();
  readonly #requests: ImdsRequestRecord[] = [];
  readonly #heldResponses = new Set<ServerResponse>();

  private constructor(server: RunningServer, options: ImdsEmulatorOptions) {
    this.#server = server;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.baseUrl = server.baseUrl;
  }

  static async start(options: ImdsEmulatorOptions): Promise<ImdsEmulator> {
    let imds: ImdsEmulator | undefined;
    const server = await listen((req, res) => imds?.handle(req, res), {
      ...(options.host ? { host: options.host } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    imds = new ImdsEmulator(server, options);
    return imds;
  }

  /** Environment that points `@azure/identity` / MSAL at this emulator. */
  env(): Record<string, string> {
    return { AZURE_POD_IDENTITY_AUTHORITY_HOST: this.baseUrl };
  }

  /** Makes the next `count` valid token requests fail as described. */
  failNext(fault: ImdsFault): void {
    this.#faults.add(fault);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  /** The most recent requests (up to 100), oldest first. */
  get requests(): readonly ImdsRequestRecord[] {
    return [...this.#requests];
  }

  async close(): Promise<void> {
    for (const res of this.#heldResponses) res.destroy();
    await this.#server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    const respond = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      this.#record(req, url, status);
      sendJson(res, status, body, headers);
    };
    if (url.pathname !== IMDS_TOKEN_PATH && url.pathname !== `${IMDS_TOKEN_PATH}/`) {
      return respond(404, { error: 'not_found', error_description: 'The requested path was not found.' });
    }
    if (req.method !== 'GET') {
      return respond(405, { error: 'method_not_allowed', error_description: 'Only GET is supported.' }, { allow: 'GET' });
    }
    const validated = validateImdsRequest(req.headers, url.searchParams, this.#options.metadataErrorCode ?? 'bad_request_102');
    if ('status' in validated) return respond(validated.status, validated.body);

    const identity = this.#selectIdentity(validated.selector);
    if ('error' in identity) return respond(400, identity);

    const fault = this.#faults.take();
    if (fault) return this.#applyFault(fault, req, url, res);

    try {
      const issued = await this.#token(identity, validated);
      respond(200, this.#successBody(issued, validated));
    } catch (error) {
      if (!(error instanceof AadstsError)) throw error;
      respond(400, { error: error.oauthError, error_description: error.message });
    }
  }

  #selectIdentity(selector: IdentitySelector): ManagedIdentityRecord | { error: string; error_description: string } {
    const notFound = { error: 'invalid_request', error_description: 'Identity not found' };
    const source = this.#options.tokenSource;
    const userAssigned = this.#options.userAssignedClientIds ?? [];
    const assigned = new Set([...(this.#options.systemAssignedClientId ? [this.#options.systemAssignedClientId] : []), ...userAssigned]);
    if (selector.kind === 'default') {
      // IMDS falls back to the only user-assigned identity when there is no system-assigned one.
      const clientId = this.#options.systemAssignedClientId ?? (userAssigned.length === 1 ? userAssigned[0] : undefined);
      if (clientId === undefined) {
        return userAssigned.length > 1
          ? {
              error: 'invalid_request',
              error_description: 'Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request',
            }
          : notFound;
      }
      return source.findManagedIdentity({ clientId }) ?? notFound;
    }
    const lookup = { client_id: 'clientId', object_id: 'objectId', msi_res_id: 'resourceId' } as const;
    const found = source.findManagedIdentity({ [lookup[selector.kind]]: selector.value });
    return found && assigned.has(found.clientId) ? found : notFound;
  }

  async #token(identity: ManagedIdentityRecord, request: ValidImdsRequest): Promise<IssuedAccessToken> {
    const key = `${identity.clientId}\n${request.resource}`;
    const cached = this.#cache.get(key);
    const nowSeconds = Math.floor(this.#now().getTime() / 1000);
    if (cached && !request.bypassCache && cached.expiresOn - nowSeconds > CACHE_REFRESH_MARGIN_SECONDS) return cached;
    const issued = await this.#options.tokenSource.issueManagedIdentityToken({ clientId: identity.clientId, resource: request.resource });
    this.#cache.delete(key);
    if (this.#cache.size >= MAX_CACHED_TOKENS) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(key, issued);
    return issued;
  }

  #successBody(issued: IssuedAccessToken, request: ValidImdsRequest): Record<string, string> {
    const expiresIn = String(Math.max(0, issued.expiresOn - Math.floor(this.#now().getTime() / 1000)));
    const echo = request.selector.kind === 'object_id' || request.selector.kind === 'msi_res_id' ? { [request.selector.kind]: request.selector.value } : {};
    return {
      access_token: issued.accessToken,
      refresh_token: '',
      client_id: issued.clientId,
      expires_in: expiresIn,
      expires_on: String(issued.expiresOn),
      ext_expires_in: expiresIn,
      not_before: String(issued.notBefore),
      resource: request.resource,
      token_type: 'Bearer',
      ...echo,
    };
  }

  #applyFault(fault: PendingFault, req: IncomingMessage, url: URL, res: ServerResponse): void {
    if (fault.kind === 'status') {
      this.#record(req, url, fault.status);
      const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      return sendJson(res, fault.status, FAULT_BODIES[fault.status], headers);
    }
    this.#record(req, url, 0);
    this.#heldResponses.add(res);
    const timer = setTimeout(() => res.destroy(), fault.holdMs);
    res.on('close', () => {
      clearTimeout(timer);
      this.#heldResponses.delete(res);
    });
  }

  #record(req: IncomingMessage, url: URL, status: number): void {
    const metadata = req.headers.metadata;
    this.#requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      metadataHeader: Array.isArray(metadata) ? metadata.join(',') : metadata,
      status,
    });
    if (this.#requests.length > MAX_RECORDED_REQUESTS) this.#requests.shift();
  }
}
