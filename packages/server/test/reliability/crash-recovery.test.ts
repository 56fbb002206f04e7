import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestIssuer } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE } from '../helpers/federation-fixture.ts';
import { createFederation, exchangeOver, killChild, newDatabaseFile, startChildServer, type ChildServer, type HttpFederation } from './child-server.ts';

const EXCHANGE_WORKERS = 8;
const ADMIN_WORKERS = 2;
const ASSERTIONS = 1_500;
/** How long the load runs before the kill: long enough for hundreds of acknowledged writes. */
const LOAD_BEFORE_KILL_MS = 2_500;

/**
 * Issue 13, crash consistency: `kill -9` of `openwif serve` in the middle of exchange and
 * admin-write load, then a restart on the same database. Everything the server acknowledged
 * (a 200) must still be there, and no assertion it accepted may be accepted a second time.
 */
describe('kill -9 under load, then restart', () => {
  let issuer: TestIssuer;
  let databaseFile: string;
  let first: ChildServer | undefined;
  let second: ChildServer | undefined;

  before(async () => {
    issuer = await TestIssuer.start(['ES256']);
    databaseFile = newDatabaseFile();
  });
  after(async () => {
    await killChild(first);
    await killChild(second);
    await issuer.close();
    rmSync(dirname(databaseFile), { recursive: true, force: true });
  });

  test('acknowledged admin writes and minted tokens survive; accepted assertions stay spent', { timeout: 120_000 }, async (t) => {
    first = await startChildServer(databaseFile);
    const fed: HttpFederation = await createFederation(first, issuer.url, 'crash', 'workload-crash');
    const assertions = await Promise.all(
      Array.from({ length: ASSERTIONS }, () => issuer.sign({ sub: 'workload-crash', aud: DEFAULT_AUDIENCE, jti: randomUUID() }, { key: issuer.key('ES256') })),
    );

    const acceptedAssertions: string[] = [];
    const mintedTokens: string[] = [];
    // Service accounts, not workspaces: an organization may have at most 100 live workspaces.
    const createdAccounts: Array<{ id: string; name: string }> = [];
    let next = 0;
    let stop = false;
    let failuresBeforeKill = 0;
    const target = first;

    const exchangeWorker = async () => {
      while (!stop && next < assertions.length) {
        const assertion = assertions[next++]!;
        try {
          const reply = await exchangeOver(target, fed, assertion);
          if (reply.status === 200) {
            acceptedAssertions.push(assertion);
            mintedTokens.push(reply.body.access_token);
          } else if (!stop) failuresBeforeKill++;
        } catch {
          // The connection died with the server: not acknowledged.
        }
      }
    };
    const adminWorker = async (worker: number) => {
      for (let i = 0; !stop; i++) {
        const name = `crash-sa-${worker}-${i}`;
        try {
          const res = await fetch(`${target.url}/v1/organizations/service_accounts`, {
            method: 'POST',
            headers: { ...target.adminHeaders, 'content-type': 'application/json' },
            body: JSON.stringify({ name }),
          });
          const body = (await res.json()) as { id: string };
          if (res.status === 200) createdAccounts.push({ id: body.id, name });
          else if (!stop) failuresBeforeKill++;
        } catch {
          // Not acknowledged.
        }
      }
    };

    const load = Promise.all([...Array.from({ length: EXCHANGE_WORKERS }, exchangeWorker), ...Array.from({ length: ADMIN_WORKERS }, (_, w) => adminWorker(w))]);
    const tick = () => new Promise((resolve) => setTimeout(resolve, 10));
    // The clock starts at the first acknowledged exchange: run from source, the first mint waits
    // for the SQLite writer thread to load through tsx (seconds on a busy machine).
    const firstBy = Date.now() + 30_000;
    while (acceptedAssertions.length === 0 && Date.now() < firstBy) await tick();
    // Kill mid-load: after LOAD_BEFORE_KILL_MS, or earlier once half the assertions are used (a fast server).
    const killAt = Date.now() + LOAD_BEFORE_KILL_MS;
    while (Date.now() < killAt && next < ASSERTIONS / 2) await tick();
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    stop = true;
    await load;

    assert.equal(failuresBeforeKill, 0, 'no request failed while the server was up');
    assert.ok(acceptedAssertions.length >= 50, `only ${acceptedAssertions.length} exchanges before the kill`);
    assert.ok(createdAccounts.length >= 10, `only ${createdAccounts.length} admin writes before the kill`);
    assert.ok(next < assertions.length, 'the kill happened mid-load, with assertions left to send');

    t.diagnostic(`acknowledged before the kill: ${acceptedAssertions.length} exchanges, ${createdAccounts.length} service account creations`);
    second = await startChildServer(databaseFile);
    const missingAccounts: string[] = [];
    for (const { id, name } of createdAccounts) {
      const res = await fetch(`${second.url}/v1/organizations/service_accounts/${id}`, { headers: second.adminHeaders });
      const body = (await res.json()) as { name?: string };
      if (res.status !== 200 || body.name !== name) missingAccounts.push(`${id} → ${res.status}`);
    }
    assert.deepEqual(missingAccounts, [], 'every acknowledged service account exists after the restart');

    const deadTokens: number[] = [];
    for (const [i, token] of mintedTokens.entries()) {
      const res = await fetch(`${second.url}/v1/organizations/me`, { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) deadTokens.push(i);
    }
    assert.deepEqual(deadTokens, [], 'every minted token still authenticates after the restart');

    const replayed: number[] = [];
    for (const [i, assertion] of acceptedAssertions.entries()) {
      const reply = await exchangeOver(second, fed, assertion);
      if (reply.status !== 401) replayed.push(i);
    }
    assert.deepEqual(replayed, [], 'no accepted assertion is accepted again after the crash');

    // The restarted server works: the rest of the assertions exchange normally.
    const fresh = await exchangeOver(
      second,
      fed,
      await issuer.sign({ sub: 'workload-crash', aud: DEFAULT_AUDIENCE, jti: randomUUID() }, { key: issuer.key('ES256') }),
    );
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
  });
});
