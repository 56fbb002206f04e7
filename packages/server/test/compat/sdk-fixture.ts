import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { TestIssuer } from '../helpers/test-issuer.ts';
import type { TestServer } from '../helpers/start-server.ts';

/** Shared setup for the SDK compatibility suites: a console-authenticated SDK client and a WIF chain. */

export const DEFAULT_AUDIENCE = 'https://api.anthropic.com';

export function adminClient(server: TestServer, token = server.adminToken): Anthropic {
  return new Anthropic({ baseURL: server.url, authToken: token, maxRetries: 0 });
}

export interface FederationChain {
  issuerId: string;
  ruleId: string;
  serviceAccountId: string;
  subject: string;
}

/**
 * An issuer backed by the loopback TestIssuer, a service account and a rule matching one exact
 * subject, enabled for the default workspace. Built through the SDK itself.
 */
export async function createChain(
  client: Anthropic,
  issuer: TestIssuer,
  options: { name: string; oauthScope: string; role?: 'admin' | 'developer'; defaultWorkspaceId: string },
): Promise<FederationChain> {
  const fedIssuer = await client.organization.federation.issuers.create({ name: `${options.name}-issuer`, issuer_url: issuer.url });
  const account = await client.organization.serviceAccounts.create({ name: `${options.name}-sa`, organization_role: options.role ?? 'developer' });
  const subject = `workload:${options.name}`;
  const rule = await client.organization.federation.rules.create({
    name: `${options.name}-rule`,
    issuer_id: fedIssuer.id,
    match: { subject_prefix: subject },
    oauth_scope: options.oauthScope,
    target: { type: 'service_account', service_account_id: account.id },
    workspace_id: options.defaultWorkspaceId,
    token_lifetime_seconds: 600,
  });
  return { issuerId: fedIssuer.id, ruleId: rule.id, serviceAccountId: account.id, subject };
}

export function identityToken(issuer: TestIssuer, subject: string): Promise<string> {
  return issuer.sign({ sub: subject, aud: DEFAULT_AUDIENCE, jti: randomUUID() });
}

/** Runs `body` with exactly these ANTHROPIC_* variables set (all others removed), then restores the environment. */
export async function withAnthropicEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('ANTHROPIC_')) {
      saved.set(key, process.env[key]);
      delete process.env[key];
    }
  }
  for (const [key, value] of Object.entries(vars)) {
    if (!saved.has(key)) saved.set(key, process.env[key]);
    process.env[key] = value;
  }
  try {
    return await body();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
