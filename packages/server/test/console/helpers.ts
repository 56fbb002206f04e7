import { randomBytes } from 'node:crypto';
import { newId } from '../../src/domain/ids.ts';
import { startTestServer, type TestServer } from '../helpers/start-server.ts';

export const CONSOLE_ADMIN_TOKEN = 'owif-admin-console-test-0123456789abcdefghijklmnop';

export type ConsoleServer = TestServer;

/** The real server (console included) with a known admin token and a secret key for upstream credentials. */
export function startConsoleServer(): Promise<ConsoleServer> {
  return startTestServer({ adminToken: CONSOLE_ADMIN_TOKEN, secretKey: randomBytes(32) });
}

/** A cookie jar of one: what a browser would send back to /console. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** A browser-like client: keeps cookies, never follows redirects (tests assert them). */
export class ConsoleClient {
  readonly jar = new CookieJar();
  constructor(readonly baseUrl: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await fetch(`${this.baseUrl}${path}`, { redirect: 'manual', headers: { cookie: this.jar.header(), ...headers } });
    this.jar.store(response);
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  async post(
    path: string,
    form: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) for (const item of [value].flat()) body.append(key, item);
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
    this.jar.store(response);
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  /** Signs in with a token through the real form; returns the final response of the POST. */
  async signIn(token: string) {
    const page = await this.get('/console/login');
    return this.post('/console/login', { _csrf: hiddenField(page.text, '_csrf'), token, next: '/console' });
  }
}

/** The value of the first hidden input with this name (the page's CSRF token). */
export function hiddenField(pageHtml: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(pageHtml);
  if (!match?.[1]) throw new Error(`no hidden field ${name} on the page`);
  return match[1];
}

/**
 * A real minted access token: seeds an issuer, a service account and a rule in the store (the
 * "given" state), then exchanges a token signed by `issuer` at POST /v1/oauth/token.
 */
export async function mintAccessToken(
  server: ConsoleServer,
  issuer: { url: string; sign(claims: Record<string, unknown>): Promise<string> },
  options: { scope: 'workspace:developer' | 'org:admin'; role: 'developer' | 'admin'; name: string },
): Promise<string> {
  const { stores, organizationId } = server;
  const now = new Date().toISOString();
  const audited = { created_at: now, updated_at: now, archived_at: null, created_by_actor_id: null, updated_by_actor_id: null, archived_by_actor_id: null };
  const account = {
    id: newId('serviceAccount'),
    organization_id: organizationId,
    name: `${options.name}-sa`,
    description: null,
    organization_role: options.role,
    ...audited,
  };
  await stores.serviceAccounts.insert(account);
  const issuerRow = {
    id: newId('issuer'),
    organization_id: organizationId,
    name: `${options.name}-issuer`,
    issuer_url: issuer.url,
    jwks: { type: 'discovery' as const },
    check_jti: false,
    max_jwt_lifetime_seconds: 3600,
    jwks_polling_disabled_at: null,
    poll_status: null,
    ...audited,
  };
  await stores.issuers.insert(issuerRow);
  const workspace = await stores.workspaces.getDefault(organizationId);
  const rule = {
    id: newId('rule'),
    organization_id: organizationId,
    name: `${options.name}-rule`,
    description: null,
    issuer_id: issuerRow.id,
    match: { subject_prefix: `${options.name}-workload` },
    target_service_account_id: account.id,
    oauth_scope: options.scope,
    token_lifetime_seconds: 600,
    applies_to_all_workspaces: false,
    workspace_ids: [workspace.id],
    ...audited,
  };
  await stores.rules.insert(rule);
  const assertion = await issuer.sign({ sub: `${options.name}-workload`, aud: 'https://api.anthropic.com' });
  const response = await fetch(`${server.url}/v1/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-beta': 'oauth-2025-04-20,oidc-federation-2026-04-01' },
    body: JSON.stringify({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
      federation_rule_id: rule.id,
      organization_id: organizationId,
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || !body.access_token) throw new Error(`exchange failed: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}
