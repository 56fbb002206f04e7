import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, pgAdmin, startTestServer, type TestServer } from '../helpers/start-server.ts';

const NAME = `openwif_test_connection_loss_${process.pid}`;

/**
 * PostgreSQL only, whatever TEST_STORE says. A pooled connection that breaks while idle (the
 * database restarted, an operator ran pg_terminate_backend, a proxy timed it out) is reported by
 * pg as an 'error' event on the pool; unhandled, that event ended the whole server process.
 */
describe('PostgreSQL: idle connections terminated by the server', () => {
  let server: TestServer;

  before(async () => {
    await pgAdmin(`CREATE DATABASE ${NAME}`);
    server = await startTestServer({ databaseUrl: `postgres://postgres@127.0.0.1:5432/${NAME}`, redisUrl: null });
  });
  after(async () => {
    await server.close();
    await pgAdmin(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
  });

  test('do not crash the server, and the next request gets a fresh connection', async () => {
    const first = await call(server, 'GET', '/v1/organizations/me', { headers: server.adminHeaders });
    assert.equal(first.status, 200);
    // Every connection of the server's pool is idle now; end them all from the database side.
    await pgAdmin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${NAME}' AND pid <> pg_backend_pid()`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const afterLoss = await call(server, 'GET', '/v1/organizations/me', { headers: server.adminHeaders });
    assert.equal(afterLoss.status, 200);
    assert.equal(afterLoss.body.id, first.body.id);
  });
});
