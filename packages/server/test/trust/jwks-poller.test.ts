import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Issuer, Organization, Workspace } from '../../src/domain/types.ts';
import { openStores } from '../../src/storage/open-store.ts';
import type { Stores } from '../../src/storage/ports.ts';
import { startJwksPoller, type JwksPoller, type JwksPollerOptions, type PollerLog } from '../../src/trust/jwks-poller.ts';
import { IssuerKeyCache } from '../../src/trust/key-resolver.ts';
import { OutboundPolicy } from '../../src/trust/outbound-policy.ts';
import { issuerRecord, JwksServer, manualClock, newSigningKey } from './jwks-fixture.ts';

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('startJwksPoller with a real SQLite store', () => {
  let dir: string;
  let stores: Stores;
  let server: JwksServer;
  let clock: ReturnType<typeof manualClock>;
  let keys: IssuerKeyCache;
  let poller: JwksPoller | null;
  let org: Organization;
  const logged: Array<{ level: string; message: string; details: Record<string, unknown> }> = [];
  const log: PollerLog = {
    warn: (details, message) => void logged.push({ level: 'warn', message, details }),
    error: (details, message) => void logged.push({ level: 'error', message, details }),
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'openwif-poller-'));
    stores = await openStores(`sqlite:${join(dir, 'db.sqlite')}`);
    org = { id: 'org-poller', name: 'Poller', created_at: iso(0) };
    const workspace: Workspace = {
      id: 'wrkspc_poller0000000000000000',
      organization_id: org.id,
      name: 'Default',
      is_default: true,
      display_color: '#6C5BB9',
      tags: {},
      data_residency: { allowed_inference_geos: 'unrestricted', default_inference_geo: 'global', workspace_geo: 'us' },
      created_at: iso(0),
      archived_at: null,
    };
    org = await stores.organizations.install(org, workspace);
    server = await JwksServer.start();
    server.publish(await newSigningKey('RS256', 'k1'));
    clock = manualClock();
    keys = new IssuerKeyCache({ policy: new OutboundPolicy(['127.0.0.1/32']), now: clock.now, fetchTimeoutMs: 2_000 });
    poller = null;
    logged.length = 0;
  });

  afterEach(async () => {
    await poller?.stop();
    await server.close();
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function addIssuer(overrides: Partial<Issuer> = {}): Promise<Issuer> {
    const issuer = issuerRecord(
      server.url,
      { type: 'explicit_url', url: server.jwksUrl },
      { organization_id: org.id, created_at: iso(clock.now()), updated_at: iso(clock.now()), ...overrides },
    );
    await stores.issuers.insert(issuer);
    return issuer;
  }

  function start(options: Partial<JwksPollerOptions> = {}): JwksPoller {
    poller = startJwksPoller({ stores, keys, now: clock.now, tickMs: 3_600_000, initialDelayMs: 3_600_000, log, ...options });
    return poller;
  }

  const stored = async (issuer: Issuer) => (await stores.issuers.get(org.id, issuer.id))!;

  it('polls a new issuer at once, records poll_status, and waits an interval before the next poll', async () => {
    const issuer = await addIssuer();
    const p = start();
    await p.tickNow();
    assert.equal(server.requests.jwks, 1);
    const after = await stored(issuer);
    assert.deepEqual(after.poll_status, { consecutive_failures: 0, last_fetched_at: iso(clock.now()), next_poll_at: iso(clock.now() + MINUTE) });
    assert.equal(after.jwks_polling_disabled_at, null);
    assert.deepEqual(
      keys.cachedKeys(issuer.id).map((k) => k.kid),
      ['k1'],
    );
    clock.advance(MINUTE - 1);
    await p.tickNow();
    assert.equal(server.requests.jwks, 1, 'not due yet');
    clock.advance(1);
    await p.tickNow();
    assert.equal(server.requests.jwks, 2);
  });

  it('backs off on failure, pauses after N failures, keeps serving last-good keys, and resumes when re-enabled', async () => {
    const issuer = await addIssuer();
    const p = start({ pauseAfterFailures: 3 });
    await p.tickNow();
    const lastGood = clock.now();
    server.mode = 'status-500';
    const expectations = [
      { wait: MINUTE, failures: 1, next: MINUTE },
      { wait: MINUTE, failures: 2, next: 2 * MINUTE },
    ];
    for (const step of expectations) {
      clock.advance(step.wait);
      await p.tickNow();
      const status = (await stored(issuer)).poll_status;
      assert.deepEqual(status, { consecutive_failures: step.failures, last_fetched_at: iso(lastGood), next_poll_at: iso(clock.now() + step.next) });
    }
    clock.advance(2 * MINUTE - 1);
    await p.tickNow();
    assert.equal((await stored(issuer)).poll_status?.consecutive_failures, 2, 'backoff respected');
    clock.advance(1);
    await p.tickNow();
    const paused = await stored(issuer);
    assert.equal(paused.jwks_polling_disabled_at, iso(clock.now()));
    assert.deepEqual(paused.poll_status, { consecutive_failures: 3, last_fetched_at: iso(lastGood), next_poll_at: null });
    assert.ok(logged.some((l) => l.level === 'error' && l.details.issuer_id === issuer.id));

    const fetchesWhenPaused = server.requests.jwks;
    clock.advance(5 * 60 * MINUTE);
    await p.tickNow();
    assert.equal(server.requests.jwks, fetchesWhenPaused, 'a paused issuer is not polled');
    const key = await keys.keyFor(paused, { kid: 'k1', alg: 'RS256' });
    assert.ok(key, 'exchanges keep the last-good keys while paused');

    // What the Admin API does on `jwks_polling_disabled: false`.
    server.mode = 'ok';
    await stores.issuers.update({
      ...paused,
      jwks_polling_disabled_at: null,
      poll_status: { consecutive_failures: 0, last_fetched_at: paused.poll_status!.last_fetched_at, next_poll_at: iso(clock.now()) },
      updated_at: iso(clock.now()),
    });
    await p.tickNow();
    assert.equal(server.requests.jwks, fetchesWhenPaused + 1);
    const resumed = await stored(issuer);
    assert.equal(resumed.jwks_polling_disabled_at, null);
    assert.deepEqual(resumed.poll_status, { consecutive_failures: 0, last_fetched_at: iso(clock.now()), next_poll_at: iso(clock.now() + MINUTE) });
  });

  it('pauses after failing continuously for the configured time', async () => {
    const issuer = await addIssuer();
    server.mode = 'status-500';
    const p = start({ pauseAfterFailures: 100, pauseAfterFailingMs: 5 * MINUTE, maxBackoffMs: 2 * MINUTE });
    const delays = [MINUTE, 2 * MINUTE, 2 * MINUTE];
    await p.tickNow();
    for (const delay of delays) {
      assert.equal((await stored(issuer)).jwks_polling_disabled_at, null);
      clock.advance(delay);
      await p.tickNow();
    }
    const paused = await stored(issuer);
    assert.equal(paused.poll_status?.consecutive_failures, 4);
    assert.equal(paused.jwks_polling_disabled_at, iso(clock.now()));
  });

  it('runs at most four fetches at once', async () => {
    for (let i = 0; i < 10; i++) await addIssuer({ name: `issuer-bulk-${i}` });
    server.delayMs = 150;
    const p = start();
    await p.tickNow();
    assert.equal(server.requests.jwks, 10);
    assert.ok(server.peakConcurrent <= 4, `peak ${server.peakConcurrent}`);
    assert.ok(server.peakConcurrent >= 2, 'fetches do run in parallel');
  });

  it('skips inline and archived issuers', async () => {
    await addIssuer({ jwks: { type: 'inline', keys: [(await newSigningKey('ES256', 'i')).publicJwk as Record<string, unknown>] } });
    await addIssuer({ name: 'archived', archived_at: iso(clock.now()) });
    const p = start();
    await p.tickNow();
    assert.equal(server.requests.jwks, 0);
  });

  it('never throws out of a tick when the store fails', async () => {
    await addIssuer();
    const p = start();
    await stores.close();
    await p.tickNow();
    assert.ok(logged.some((l) => l.message === 'JWKS poller tick failed'));
    stores = await openStores(`sqlite:${join(dir, 'db.sqlite')}`);
  });

  it('stops promptly while a fetch hangs, without recording a failure', async () => {
    const issuer = await addIssuer();
    server.mode = 'slow';
    const p = start({ initialDelayMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await p.stop();
    assert.ok(Date.now() - started < 1_000, 'stop aborts the fetch');
    assert.equal((await stored(issuer)).poll_status, null);
    await p.tickNow();
    assert.equal(server.requests.jwks, 1, 'no tick after stop');
  });
});
