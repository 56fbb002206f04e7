/**
 * The emulated tenant's directory: client applications (including managed identities) with
 * their federated identity credentials, and the resource APIs tokens can be issued for.
 * Limits mirror Entra's (20 FICs per app, 600 characters per FIC field).
 */

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface FederatedCredential {
  issuer: string;
  subject: string;
  /** Defaults to `api://AzureADTokenExchange`. */
  audience?: string;
  name?: string;
}

export interface EntraApplication {
  /** Application (client) ID: becomes `appid` (v1) / `azp` (v2). */
  clientId: string;
  /** Service principal object ID: becomes `oid` and `sub`. */
  objectId: string;
  federatedCredentials?: readonly FederatedCredential[];
  /** ARM resource ID of a managed identity, emitted as the (undocumented) `xms_mirid` claim. */
  managedIdentityResourceId?: string;
  /** App roles granted to this app, keyed by resource app ID. */
  appRoles?: Readonly<Record<string, readonly string[]>>;
}

export interface EntraResource {
  /** The resource app's client ID: the `aud` of v2 tokens. */
  appId: string;
  /** App ID URIs (e.g. `api://openwif`); a v1 token's `aud` is the URI exactly as requested. */
  identifierUris?: readonly string[];
  /** Manifest `accessTokenAcceptedVersion`: absent or 1 ⇒ v1.0 tokens, 2 ⇒ v2.0 tokens. */
  accessTokenAcceptedVersion?: 1 | 2;
}

const MAX_FEDERATED_CREDENTIALS = 20;
const MAX_FIC_FIELD_LENGTH = 600;
const MAX_ENTRIES = 1000;

function assertField(value: unknown, what: string, maxLength = MAX_FIC_FIELD_LENGTH): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new TypeError(`${what} must be a non-empty string of at most ${maxLength} characters`);
  }
}

export class EntraDirectory {
  readonly #applications = new Map<string, EntraApplication>();
  readonly #resources: EntraResource[] = [];

  registerApplication(app: EntraApplication): void {
    assertField(app.clientId, 'application clientId', 100);
    assertField(app.objectId, 'application objectId', 100);
    const credentials = app.federatedCredentials ?? [];
    if (credentials.length > MAX_FEDERATED_CREDENTIALS) {
      throw new RangeError(`an application has at most ${MAX_FEDERATED_CREDENTIALS} federated credentials`);
    }
    for (const credential of credentials) {
      assertField(credential.issuer, 'federated credential issuer');
      assertField(credential.subject, 'federated credential subject');
      if (credential.audience !== undefined) assertField(credential.audience, 'federated credential audience');
    }
    if (!this.#applications.has(app.clientId) && this.#applications.size >= MAX_ENTRIES) {
      throw new RangeError(`the emulated tenant holds at most ${MAX_ENTRIES} applications`);
    }
    this.#applications.set(app.clientId, app);
  }

  registerResource(resource: EntraResource): void {
    assertField(resource.appId, 'resource appId', 100);
    for (const uri of resource.identifierUris ?? []) assertField(uri, 'resource identifier URI');
    if (this.#resources.length >= MAX_ENTRIES) throw new RangeError(`the emulated tenant holds at most ${MAX_ENTRIES} resources`);
    this.#resources.push(resource);
  }

  application(clientId: string): EntraApplication | undefined {
    return this.#applications.get(clientId);
  }

  applicationWhere(predicate: (app: EntraApplication) => boolean): EntraApplication | undefined {
    for (const app of this.#applications.values()) if (predicate(app)) return app;
    return undefined;
  }

  /** Finds a resource by its app ID or one of its App ID URIs (exact, as Entra matches them). */
  resource(identifier: string): EntraResource | undefined {
    return this.#resources.find((resource) => resource.appId === identifier || (resource.identifierUris ?? []).includes(identifier));
  }
}
