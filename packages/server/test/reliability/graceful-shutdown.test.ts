import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newSigningKey, type SigningKey } from '../helpers/test-issuer.ts';
import { DEFAULT_AUDIENCE } from '../helpers/federation-fixture.ts';
import { signJson } from '../security/raw-jws.ts';
import { createFederation, exchangeOver, killChild, newDatabaseFile, startChildServer, type ChildServer } from './child-server.ts';

/** The issuer's endpoints answer this late: the exchange is still in flight when SIGTERM lands. */
const ISSUER_DELAY_MS = 1_500;
const SIGTERM_AFTER_MS = 600;
/** The whole shutdown (drain + database close + exit) must finish within this. */
const EXIT_BOUND_MS = 10_000;

/** An OIDC issuer whose discovery and JWKS answers are slow. */
async function slowIssuer(key: SigningKey): Promise<{ url: string; server: Server }> {
  let url = '';
  const server = createServer((req, res) => {
    setTimeout(() => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
      else res.end(JSON.stringify({ keys: [key.publicJwk] }));
    }, ISSUER_DELAY_MS);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, server };
}

/** Resolves true when a fresh TCP connection to the URL is refused. */
function connectionRefused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/**
 * Issue 13, graceful shutdown: on SIGTERM `openwif serve` stops accepting connections,
 * finishes the request in flight, closes the database and exits 0 within a bound.
 */
describe('SIGTERM: drain, close, exit 0', () => {
  let child: ChildServer | undefined;
  let issuer: { url: string; server: Server };
  let key: SigningKey;
  let databaseFile: string;

  before(async () => {
    key = await newSigningKey('ES256', 'slow-key');
    issuer = await slowIssuer(key);
    databaseFile = newDatabaseFile();
  });
  after(async () => {
    await killChild(child);
    await new Promise<void>((resolve) => issuer.server.close(() => resolve()));
    issuer.server.closeAllConnections();
    rmSync(dirname(databaseFile), { recursive: true, force: true });
  });

  test('an in-flight exchange completes, new connections are refused, the process exits 0', { timeout: 60_000 }, async (t) => {
    child = await startChildServer(databaseFile);
    const fed = await createFederation(child, issuer.url, 'drain', 'workload-drain');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await signJson(
      { alg: 'ES256', kid: key.kid, typ: 'JWT' },
      { iss: issuer.url, sub: 'workload-drain', aud: DEFAULT_AUDIENCE, iat: now, exp: now + 300, jti: randomUUID() },
      key,
    );

    const started = Date.now();
    const inFlight = exchangeOver(child, fed, assertion);
    await new Promise((resolve) => setTimeout(resolve, SIGTERM_AFTER_MS));
    const signalledAt = Date.now();
    child.child.kill('SIGTERM');

    // Shortly after the signal the listener is closed, while the exchange is still waiting on the issuer.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await connectionRefused(child.url), true, 'a new connection is refused during the drain');

    const reply = await inFlight;
    const tookMs = Date.now() - started;
    assert.equal(reply.status, 200, `the in-flight exchange completed: ${JSON.stringify(reply.body)}`);
    assert.ok(tookMs >= ISSUER_DELAY_MS - 200, `the exchange really was in flight during the signal (${tookMs} ms)`);

    const code = await Promise.race([child.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), EXIT_BOUND_MS))]);
    assert.equal(code, 0, `exit status after SIGTERM: ${code}\n${child.output()}`);
    assert.ok(Date.now() - signalledAt < EXIT_BOUND_MS);
    t.diagnostic(`exchange ${tookMs} ms; exit ${Date.now() - signalledAt} ms after SIGTERM`);

    // The database was closed cleanly: SQLite folds the write-ahead log back on the last close.
    const wal = `${databaseFile}-wal`;
    assert.ok(!existsSync(wal) || statSync(wal).size === 0, 'the WAL was checkpointed, so the database was closed');

    // And what the drained request wrote is durable: the token works after a restart.
    child = await startChildServer(databaseFile);
    const me = await fetch(`${child.url}/v1/organizations/me`, { headers: { authorization: `Bearer ${reply.body.access_token}` } });
    assert.equal(me.status, 200);
    child.child.kill('SIGTERM');
    assert.equal(await child.exited, 0);
  });

  test('a second SIGTERM during the drain does not turn the clean exit into a crash', { timeout: 60_000 }, async () => {
    child = await startChildServer(databaseFile);
    const fed = await createFederation(child, issuer.url, 'drain2', 'workload-drain');
    const now = Math.floor(Date.now() / 1000);
    const assertion = await signJson(
      { alg: 'ES256', kid: key.kid, typ: 'JWT' },
      { iss: issuer.url, sub: 'workload-drain', aud: DEFAULT_AUDIENCE, iat: now, exp: now + 300, jti: randomUUID() },
      key,
    );
    const inFlight = exchangeOver(child, fed, assertion).catch((err: Error) => ({ status: 0, body: err.message }));
    await new Promise((resolve) => setTimeout(resolve, SIGTERM_AFTER_MS));
    child.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.child.kill('SIGTERM');
    const reply = await inFlight;
    assert.ok(reply.status === 200 || reply.status === 401, `in-flight request: ${JSON.stringify(reply)}`);
    assert.equal(await child.exited, 0);
  });
});

describe('SIGTERM when the log reader has gone away', () => {
  let child: ChildServer | undefined;
  let databaseFile: string;

  before(() => {
    databaseFile = newDatabaseFile();
  });
  after(async () => {
    await killChild(child);
    rmSync(dirname(databaseFile), { recursive: true, force: true });
  });

  // pino's default asynchronous destination flushed at exit and retried a write that failed with
  // EPIPE forever: the process never exited. Here the signal lands while stdout is full, then the
  // reader closes its end of the pipe.
  test('the server still exits 0', { timeout: 60_000 }, async () => {
    child = await startChildServer(databaseFile, { OPENWIF_LOG_LEVEL: 'info' });
    child.child.stdout!.pause();
    // Two log lines per request, until stdout is full (a request stalls) or well past what a pipe holds.
    for (let i = 0; i < 3_000; i++) {
      const answered = await fetch(`${child.url}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.text(),
        () => null,
      );
      if (answered === null) break;
    }
    child.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.child.stdout!.destroy();
    const code = await Promise.race([child.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), EXIT_BOUND_MS))]);
    assert.equal(code, 0, `exit status after SIGTERM with a closed stdout: ${code}`);
  });
});
