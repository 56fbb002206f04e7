import { randomUUID } from 'node:crypto';
import { newId } from '../../src/domain/ids.ts';
import type { AuthEvent } from '../../src/domain/types.ts';
import { openDatabase } from '../../src/storage/open-store.ts';
import { hashSecret } from '../../src/tokens/token-hash.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';

/** The real server; the diagnostics routes are part of every app. */
export function startDiagnosticsServer(options: { now?: () => Date } = {}): Promise<TestServer> {
  return startTestServer({}, options.now ? { now: options.now } : {});
}

/** GET/POST as the bootstrap org:admin. */
export function asAdmin(server: TestServer, method: string, path: string, body?: unknown) {
  return call(server, method, path, { headers: { authorization: `Bearer ${server.adminToken}` }, ...(body === undefined ? {} : { body }) });
}

/**
 * A second organization in the same database, with its own admin credential. The store ports
 * serve one installed organization only, so its row is written with SQL: the multi-tenant
 * isolation the routes promise is still enforced by every query's organization filter.
 */
export async function addOrganization(server: Pick<TestServer, 'stores' | 'settings'>): Promise<{ organizationId: string; adminToken: string }> {
  const organizationId = randomUUID();
  const now = new Date().toISOString();
  const db = openDatabase(server.settings.databaseUrl);
  try {
    await db.insertInto('organizations').values({ id: organizationId, name: 'Other', created_at: now }).execute();
  } finally {
    await db.destroy();
  }
  const adminToken = `owif-admin-other-${randomUUID()}`;
  await server.stores.adminCredentials.insert(hashSecret(adminToken), { organization_id: organizationId, actor_id: 'user_01otheradmin', label: 'test' }, now);
  return { organizationId, adminToken };
}

/** An event written straight to the store, for listing tests that need exact timestamps. */
export function storedEvent(organizationId: string, fields: Partial<AuthEvent> & Pick<AuthEvent, 'created_at' | 'federation_rule_id'>): AuthEvent {
  return {
    id: newId('event'),
    organization_id: organizationId,
    request_id: `req_${randomUUID().replace(/-/g, '')}`,
    outcome: 'denied',
    reason: 'match_subject_prefix',
    detail: null,
    issuer_id: null,
    subject: null,
    jti: null,
    requested_service_account_id: null,
    service_account_id: null,
    workspace_id: null,
    claims: null,
    ip_address: '127.0.0.1',
    user_agent: 'test',
    ...fields,
  };
}
