import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { ConfigCache, type ConfigReads } from '../../src/storage/config-cache.ts';
import { openDatabase } from '../../src/storage/open-store.ts';
import { hashSecret } from '../../src/tokens/token-hash.ts';
import type { Stores } from '../../src/storage/ports.ts';
import type { Database } from '../../src/storage/sql/schema.ts';
import { DEFAULT_AUDIENCE, exchange, lastEvent, seedFederation, type Federation } from '../helpers/federation-fixture.ts';
import { call, startTestServer, type TestServer } from '../helpers/start-server.ts';
import { TestIssuer } from '../helpers/test-issuer.ts';

/** The server's stores, with every store method call recorded as "store.method". */
function countingStores(stores: Stores): { stores: Stores; calls: string[] } {
  const calls: string[] = [];
  const wrap = <T extends object>(name: string, target: T): T =>
    new Proxy(target, {
      get(t, property) {
        const value = Reflect.get(t, property);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${name}.${String(property)}`);
          return value.apply(t, args);
        };
      },
    });
  const counted = { ...stores };
  for (const name of ['rules', 'issuers', 'serviceAccounts', 'workspaces', 'memberships', 'tokens', 'upstreamCredentials', 'configGeneration'] as const) {
    (counted as Record<string, object>)[name] = wrap(name, stores[name]);
  }
  return { stores: counted, calls };
}

const count = (calls: string[], call: string) => calls.filter((c) => c === call).length;

describe('ConfigCache: configuration reads from memory, never stale', () => {
  let server: TestServer;
  let issuer: TestIssuer;
  let federation: Federation;
  /** A second connection to the same database: writes from "another instance", bypassing our code. */
  let other: Kysely<Database>;

  before(async () => {
    server = await startTestServer();
    issuer = await TestIssuer.start(['ES256']);
    federation = await seedFederation(server, { issuerUrl: issuer.url, match: { subject_prefix: 'workload-1', audience: DEFAULT_AUDIENCE } });
    other = openDatabase(server.settings.databaseUrl);
  });
  after(async () => {
    await other.destroy();
    await server.close();
    await issuer.close();
  });

  const readAll = async (cache: ConfigCache) => readAllFrom(await cache.view());
  const readAllFrom = async (view: ConfigReads) => {
    const org = server.organizationId;
    return {
      rule: await view.rules.getById(federation.rule.id),
      issuer: await view.issuers.get(org, federation.issuer.id),
      account: await view.serviceAccounts.get(org, federation.serviceAccount.id),
      workspace: await view.workspaces.get(org, federation.defaultWorkspaceId),
      defaultWorkspace: await view.workspaces.getDefault(org),
    };
  };

  it('reads each object once while the generation stands; each view reads the generation once', async () => {
    const { stores, calls } = countingStores(server.stores);
    const cache = new ConfigCache(stores);
    const first = await readAll(cache);
    const second = await readAll(cache);
    assert.deepEqual(second, first);
    assert.equal(second.rule?.id, federation.rule.id);
    assert.equal(count(calls, 'configGeneration.current'), 2);
    for (const read of ['rules.getById', 'issuers.get', 'serviceAccounts.get', 'workspaces.get', 'workspaces.getDefault']) {
      assert.equal(count(calls, read), 1, `${read} went to the store again`);
    }
  });

  it('unknown rule IDs and token digests (caller input) are not cached; other absences are', async () => {
    const { stores, calls } = countingStores(server.stores);
    const cache = new ConfigCache(stores);
    for (let i = 0; i < 3; i++) {
      const view = await cache.view();
      assert.equal(await view.rules.getById('fdrl_01doesnotexist'), null);
      assert.equal(await view.tokens.find('0'.repeat(64)), null);
      assert.equal(await view.upstreamCredentials.get(server.organizationId, federation.defaultWorkspaceId), null);
      assert.equal(await view.memberships.get(federation.serviceAccount.id, federation.defaultWorkspaceId), null);
    }
    assert.equal(count(calls, 'rules.getById'), 3);
    assert.equal(count(calls, 'tokens.find'), 3);
    assert.equal(count(calls, 'upstreamCredentials.get'), 1);
    assert.equal(count(calls, 'memberships.get'), 1);
  });

  it('a write to any configuration table by another connection moves the generation and is read at once', async () => {
    const cache = new ConfigCache(server.stores);
    const generation = () => server.stores.configGeneration.current();
    const org = server.organizationId;
    const spare = await call(server, 'POST', '/v1/organizations/workspaces', { body: { name: 'cache-spare' }, headers: server.adminHeaders });
    assert.equal(spare.status, 200);
    const spareId = spare.body.id as string;
    await readAll(cache);

    const changes: Array<[string, string, () => Promise<void>]> = [
      [
        'workspaces',
        `UPDATE workspaces SET name = 'renamed-ws' WHERE id = '${spareId}'`,
        async () => assert.equal((await (await cache.view()).workspaces.get(org, spareId))?.name, 'renamed-ws'),
      ],
      [
        'federation_issuers',
        `UPDATE federation_issuers SET name = 'renamed-issuer' WHERE id = '${federation.issuer.id}'`,
        async () => assert.equal((await (await cache.view()).issuers.get(org, federation.issuer.id))?.name, 'renamed-issuer'),
      ],
      [
        'federation_rules',
        `UPDATE federation_rules SET name = 'renamed-rule' WHERE id = '${federation.rule.id}'`,
        async () => assert.equal((await (await cache.view()).rules.getById(federation.rule.id))?.name, 'renamed-rule'),
      ],
      [
        'rule_workspaces (insert)',
        `INSERT INTO rule_workspaces (federation_rule_id, workspace_id, created_at) VALUES ('${federation.rule.id}', '${spareId}', '2026-01-01T00:00:00.000Z')`,
        async () => assert.ok((await (await cache.view()).rules.getById(federation.rule.id))?.workspace_ids.includes(spareId)),
      ],
      [
        'rule_workspaces (delete)',
        `DELETE FROM rule_workspaces WHERE workspace_id = '${spareId}'`,
        async () => assert.ok(!(await (await cache.view()).rules.getById(federation.rule.id))?.workspace_ids.includes(spareId)),
      ],
      [
        'memberships (insert)',
        `INSERT INTO memberships (service_account_id, workspace_id, workspace_role, created_at) VALUES ('${federation.serviceAccount.id}', '${spareId}', 'workspace_user', '2026-01-01T00:00:00.000Z')`,
        async () => assert.notEqual(await (await cache.view()).memberships.get(federation.serviceAccount.id, spareId), null),
      ],
      [
        'memberships (delete)',
        `DELETE FROM memberships WHERE workspace_id = '${spareId}'`,
        async () => assert.equal(await (await cache.view()).memberships.get(federation.serviceAccount.id, spareId), null),
      ],
      [
        'upstream_credentials (insert)',
        `INSERT INTO upstream_credentials (organization_id, workspace_id, sealed, created_at, updated_at) VALUES ('${org}', '${spareId}', 'sealed-1', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
        async () => assert.equal((await (await cache.view()).upstreamCredentials.get(org, spareId))?.sealed, 'sealed-1'),
      ],
      [
        'upstream_credentials (update)',
        `UPDATE upstream_credentials SET sealed = 'sealed-2' WHERE workspace_id = '${spareId}'`,
        async () => assert.equal((await (await cache.view()).upstreamCredentials.get(org, spareId))?.sealed, 'sealed-2'),
      ],
      [
        'upstream_credentials (delete)',
        `DELETE FROM upstream_credentials WHERE workspace_id = '${spareId}'`,
        async () => assert.equal(await (await cache.view()).upstreamCredentials.get(org, spareId), null),
      ],
      [
        'service_accounts',
        `UPDATE service_accounts SET description = 'changed' WHERE id = '${federation.serviceAccount.id}'`,
        async () => assert.equal((await (await cache.view()).serviceAccounts.get(org, federation.serviceAccount.id))?.description, 'changed'),
      ],
    ];
    for (const [table, statement, check] of changes) {
      await readAll(cache);
      await (await cache.view()).upstreamCredentials.get(org, spareId);
      const before = await generation();
      await sql.raw(statement).execute(other);
      assert.ok((await generation()) > before, `a write to ${table} did not move the generation`);
      await check();
    }
  });

  it('a view that began before a change does not file what it reads under the newer generation', async () => {
    const { stores, calls } = countingStores(server.stores);
    const cache = new ConfigCache(stores);
    const stale = await cache.view();
    await sql.raw(`UPDATE federation_rules SET description = 'moved on' WHERE id = '${federation.rule.id}'`).execute(other);
    const fresh = await cache.view();
    await stale.rules.getById(federation.rule.id);
    assert.equal((await fresh.rules.getById(federation.rule.id))?.description, 'moved on');
    assert.equal(count(calls, 'rules.getById'), 2, 'the stale view cached its read under the new generation');
  });

  it('concurrent views share generation reads, but only one that started after the view began', async () => {
    // Each read queries at once and answers when released: a slow round trip to a database
    // whose answer reflects the moment the query ran.
    let reads = 0;
    const releases: Array<() => void> = [];
    const gated: Stores = {
      ...server.stores,
      configGeneration: {
        current: async () => {
          reads++;
          const value = await server.stores.configGeneration.current();
          await new Promise<void>((release) => releases.push(release));
          return value;
        },
      },
    };
    const queried = async () => {
      for (let turns = 0; releases.length === 0; turns++) {
        if (turns > 1000) throw new Error('no generation read is waiting');
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const releaseNext = async () => {
      await queried();
      releases.shift()!();
    };
    const cache = new ConfigCache(gated);
    const warm = cache.view();
    await releaseNext();
    await readAllFrom(await warm);

    const before = cache.view();
    await queried(); // read 2 has its answer, and holds it
    await sql.raw(`UPDATE federation_rules SET description = 'after read 2' WHERE id = '${federation.rule.id}'`).execute(other);
    const after = [cache.view(), cache.view(), cache.view()]; // began after the change: they must see it
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(reads, 2, 'views that arrive during a read wait for the next one, they do not start their own');
    await releaseNext();
    await before;
    await releaseNext();
    const views = await Promise.all(after);
    assert.equal(reads, 3, 'one read for all the views that arrived during the one before');
    for (const view of views) assert.equal((await view.rules.getById(federation.rule.id))?.description, 'after read 2');
  });

  it('cached objects are frozen, so no request can change what the next one sees', async () => {
    const { rule, account } = await readAll(new ConfigCache(server.stores));
    assert.throws(() => {
      (rule as { name: string }).name = 'tampered';
    }, TypeError);
    assert.throws(() => {
      (rule as { workspace_ids: string[] }).workspace_ids.push('x');
    }, TypeError);
    assert.throws(() => {
      (account as { archived_at: string | null }).archived_at = null;
    }, TypeError);
  });

  it('minting a token leaves the generation alone; deleting or expiring one by hand moves it and is honoured at once', async () => {
    const cache = new ConfigCache(server.stores);
    const generation = () => server.stores.configGeneration.current();
    const before = await generation();
    const minted = await exchange(server, federation, await issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE }));
    assert.equal(minted.status, 200);
    assert.equal(await generation(), before, 'a mint invalidated the cache');
    const digest = hashSecret(minted.body.access_token as string);
    assert.notEqual(await (await cache.view()).tokens.find(digest), null);
    await sql.raw(`UPDATE access_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE token_hash = '${digest}'`).execute(other);
    assert.equal((await (await cache.view()).tokens.find(digest))?.expires_at, '2000-01-01T00:00:00.000Z');
    await sql.raw(`DELETE FROM access_tokens WHERE token_hash = '${digest}'`).execute(other);
    assert.equal(await (await cache.view()).tokens.find(digest), null);
  });

  it('end to end: a service account archived by another instance stops the next exchange, cache warm or not', async () => {
    const good = () => issuer.sign({ sub: 'workload-1', aud: DEFAULT_AUDIENCE });
    assert.equal((await exchange(server, federation, await good())).status, 200);
    assert.equal((await exchange(server, federation, await good())).status, 200);
    await sql.raw(`UPDATE service_accounts SET archived_at = '2026-01-01T00:00:00.000Z' WHERE id = '${federation.serviceAccount.id}'`).execute(other);
    const denied = await exchange(server, federation, await good());
    assert.equal(denied.status, 401);
    assert.equal((await lastEvent(server, federation.rule.id))?.reason, 'service_account_archived');
  });
});
