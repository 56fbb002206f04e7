import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrate, openDatabase } from '../../src/storage/open-store.ts';
import { pgAdmin } from '../helpers/start-server.ts';

const NAME = `openwif_test_generation_locking_${process.pid}`;
const URL = `postgres://postgres@127.0.0.1:5432/${NAME}`;

/**
 * PostgreSQL only, whatever TEST_STORE says: SQLite has one writer at a time and cannot deadlock.
 * Every configuration write also updates the one config_generation row. If that happened after
 * the write (AFTER triggers), two transactions could each hold what the other needs: the rule
 * editor holds the counter and wants to insert an enablement that a concurrent, uncommitted
 * enablement insert already holds, while that one waits for the counter. BEFORE triggers make
 * every such transaction take the counter first.
 */
describe('the configuration generation on PostgreSQL', () => {
  before(async () => {
    await pgAdmin(`CREATE DATABASE ${NAME}`);
    const db = openDatabase(URL);
    await migrate(db);
    await db.destroy();
    const setup = new pg.Client({ connectionString: URL });
    await setup.connect();
    const at = "'2026-01-01T00:00:00.000Z'";
    await setup.query(`INSERT INTO organizations (id, name, created_at) VALUES ('org', 'o', ${at})`);
    await setup.query(
      `INSERT INTO workspaces (id, organization_id, name, is_default, display_color, tags_json, data_residency_json, created_at) VALUES ('ws', 'org', 'w', 0, '#000', '{}', '{}', ${at})`,
    );
    await setup.query(
      `INSERT INTO service_accounts (id, organization_id, name, organization_role, created_at, updated_at) VALUES ('sa', 'org', 's', 'developer', ${at}, ${at})`,
    );
    await setup.query(
      `INSERT INTO federation_issuers (id, organization_id, name, issuer_url, jwks_json, check_jti, max_jwt_lifetime_seconds, created_at, updated_at) VALUES ('iss', 'org', 'i', 'https://i.example', '{}', 1, 3600, ${at}, ${at})`,
    );
    await setup.query(
      `INSERT INTO federation_rules (id, organization_id, name, issuer_id, match_json, target_service_account_id, oauth_scope, token_lifetime_seconds, applies_to_all_workspaces, created_at, updated_at) VALUES ('rule', 'org', 'r', 'iss', '{}', 'sa', 'workspace:inference', 600, 0, ${at}, ${at})`,
    );
    await setup.end();
  });
  after(() => pgAdmin(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`));

  it('two transactions changing one rule and its enablements cannot deadlock', async () => {
    const editor = new pg.Client({ connectionString: URL });
    const enabler = new pg.Client({ connectionString: URL });
    await editor.connect();
    await enabler.connect();
    const enable = "INSERT INTO rule_workspaces (federation_rule_id, workspace_id, created_at) VALUES ('rule', 'ws', '2026-01-01T00:00:00.000Z')";
    try {
      await editor.query('BEGIN');
      await editor.query("UPDATE federation_rules SET name = 'edited' WHERE id = 'rule'");
      await enabler.query('BEGIN');
      // Blocks (on the counter, or on the editor's enablement below); settles when the editor is done.
      const enablerDone = enabler.query(enable).then(
        () => 'inserted',
        (err: { code?: string }) => err.code ?? 'error',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const editorResult = await editor.query(enable).then(
        () => 'inserted',
        (err: { code?: string }) => err.code ?? 'error',
      );
      await editor.query(editorResult === 'inserted' ? 'COMMIT' : 'ROLLBACK');
      const enablerResult = await enablerDone;
      await enabler.query('ROLLBACK');
      assert.equal(editorResult, 'inserted', 'the transaction that took the counter first went through');
      // 23505: the enablement exists now (a plain conflict, reported as such); never 40P01, a deadlock.
      assert.equal(enablerResult, '23505');
    } finally {
      await editor.end();
      await enabler.end();
    }
  });
});
