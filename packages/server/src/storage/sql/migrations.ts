import { sql, SqliteAdapter, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Ordered, in-code migrations (no filesystem scan). Each uses only portable DDL: text, integer,
 * bigint and partial unique indexes work on SQLite, PostgreSQL and PostgreSQL-wire databases.
 */
const migrations: Record<string, Migration> = {
  '0001_init': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('organizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('admin_credentials')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('workspaces')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('is_default', 'integer', (c) => c.notNull())
        .addColumn('display_color', 'text', (c) => c.notNull())
        .addColumn('tags_json', 'text', (c) => c.notNull())
        .addColumn('data_residency_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('archived_at', 'text')
        .execute();
      await db.schema.createIndex('workspaces_org_created').on('workspaces').columns(['organization_id', 'created_at', 'id']).execute();

      const audited = <T extends { addColumn: (...a: any[]) => T }>(t: T): T =>
        t
          .addColumn('created_at', 'text', (c: any) => c.notNull())
          .addColumn('updated_at', 'text', (c: any) => c.notNull())
          .addColumn('archived_at', 'text')
          .addColumn('created_by_actor_id', 'text')
          .addColumn('updated_by_actor_id', 'text')
          .addColumn('archived_by_actor_id', 'text');

      await audited(
        db.schema
          .createTable('service_accounts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('organization_role', 'text', (c) => c.notNull()),
      ).execute();
      await uniqueLiveName(db, 'service_accounts');

      await db.schema
        .createTable('memberships')
        .addColumn('service_account_id', 'text', (c) => c.notNull().references('service_accounts.id'))
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('workspace_role', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by_actor_id', 'text')
        .addPrimaryKeyConstraint('memberships_pk', ['service_account_id', 'workspace_id'])
        .execute();
      await db.schema.createIndex('memberships_workspace').on('memberships').columns(['workspace_id', 'created_at']).execute();

      await audited(
        db.schema
          .createTable('federation_issuers')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('issuer_url', 'text', (c) => c.notNull())
          .addColumn('jwks_json', 'text', (c) => c.notNull())
          .addColumn('check_jti', 'integer', (c) => c.notNull())
          .addColumn('max_jwt_lifetime_seconds', 'integer', (c) => c.notNull())
          .addColumn('jwks_polling_disabled_at', 'text')
          .addColumn('poll_consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('poll_last_fetched_at', 'text')
          .addColumn('poll_next_poll_at', 'text'),
      ).execute();
      await uniqueLiveName(db, 'federation_issuers');

      await audited(
        db.schema
          .createTable('federation_rules')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('issuer_id', 'text', (c) => c.notNull().references('federation_issuers.id'))
          .addColumn('match_json', 'text', (c) => c.notNull())
          .addColumn('target_service_account_id', 'text', (c) => c.notNull().references('service_accounts.id'))
          .addColumn('oauth_scope', 'text', (c) => c.notNull())
          .addColumn('token_lifetime_seconds', 'integer', (c) => c.notNull())
          .addColumn('applies_to_all_workspaces', 'integer', (c) => c.notNull()),
      ).execute();
      await uniqueLiveName(db, 'federation_rules');
      await db.schema.createIndex('federation_rules_issuer').on('federation_rules').columns(['issuer_id']).execute();
      await db.schema.createIndex('federation_rules_target').on('federation_rules').columns(['target_service_account_id']).execute();

      await db.schema
        .createTable('rule_workspaces')
        .addColumn('federation_rule_id', 'text', (c) => c.notNull().references('federation_rules.id'))
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by_actor_id', 'text')
        .addPrimaryKeyConstraint('rule_workspaces_pk', ['federation_rule_id', 'workspace_id'])
        .execute();

      await db.schema
        .createTable('access_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('service_account_id', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('issuer_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('access_tokens_expiry').on('access_tokens').columns(['expires_at']).execute();

      await db.schema
        .createTable('jti_claims')
        .addColumn('issuer_id', 'text', (c) => c.notNull())
        .addColumn('jti', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('jti_claims_pk', ['issuer_id', 'jti'])
        .execute();
      await db.schema.createIndex('jti_claims_expiry').on('jti_claims').columns(['expires_at']).execute();

      await db.schema
        .createTable('auth_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('detail', 'text')
        .addColumn('federation_rule_id', 'text', (c) => c.notNull())
        .addColumn('issuer_id', 'text')
        .addColumn('subject', 'text')
        .addColumn('jti', 'text')
        .addColumn('requested_service_account_id', 'text')
        .addColumn('service_account_id', 'text')
        .addColumn('workspace_id', 'text')
        .addColumn('claims_json', 'text')
        .addColumn('ip_address', 'text')
        .addColumn('user_agent', 'text')
        .execute();
      await db.schema.createIndex('auth_events_org_created').on('auth_events').columns(['organization_id', 'created_at', 'id']).execute();
    },
  },
  '0002_upstream_credentials': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('upstream_credentials')
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
        .addColumn('sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('updated_by_actor_id', 'text')
        .addPrimaryKeyConstraint('upstream_credentials_pk', ['organization_id', 'workspace_id'])
        .execute();
    },
  },
  '0003_installation': {
    // One row, id 1: the organization the first start created. Its primary key makes concurrent
    // first starts of several instances agree on a single organization.
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('installation')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .execute();
    },
  },
  '0004_console_sessions': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('console_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0005_config_generation': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('config_generation')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('config_generation').values({ id: 1, value: 0 }).execute();
      await bumpGenerationOnChange(db);
    },
  },
};

/**
 * The rows that decide an exchange or a gateway call (see storage/config-cache.ts), and the
 * changes to them that move the generation. Minting a token (an insert) changes no decision;
 * deleting or expiring one by hand does, so the cache of grants honours it at once.
 */
const CONFIG_CHANGES: Record<string, Array<'INSERT' | 'UPDATE' | 'DELETE'>> = {
  workspaces: ['INSERT', 'UPDATE', 'DELETE'],
  service_accounts: ['INSERT', 'UPDATE', 'DELETE'],
  memberships: ['INSERT', 'UPDATE', 'DELETE'],
  federation_issuers: ['INSERT', 'UPDATE', 'DELETE'],
  federation_rules: ['INSERT', 'UPDATE', 'DELETE'],
  rule_workspaces: ['INSERT', 'UPDATE', 'DELETE'],
  upstream_credentials: ['INSERT', 'UPDATE', 'DELETE'],
  access_tokens: ['UPDATE', 'DELETE'],
};

/**
 * Triggers, not application code, bump the generation: a write path added later cannot forget
 * to, and the bump commits (or rolls back) with the change itself.
 */
async function bumpGenerationOnChange(db: Kysely<any>): Promise<void> {
  const bump = 'UPDATE config_generation SET value = value + 1 WHERE id = 1';
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const [table, events] of Object.entries(CONFIG_CHANGES)) {
      for (const event of events) {
        await sql.raw(`CREATE TRIGGER ${table}_${event.toLowerCase()}_bumps_generation AFTER ${event} ON ${table} BEGIN ${bump}; END`).execute(db);
      }
    }
    return;
  }
  await sql.raw(`CREATE FUNCTION bump_config_generation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${bump}; RETURN NULL; END $$`).execute(db);
  for (const [table, events] of Object.entries(CONFIG_CHANGES)) {
    const on = [...events, ...(events.includes('DELETE') ? ['TRUNCATE'] : [])].join(' OR ');
    // BEFORE, not AFTER: every configuration-writing transaction takes the counter's row lock
    // before it changes any configuration row, so two of them cannot deadlock on each other.
    await sql.raw(`CREATE TRIGGER ${table}_bumps_generation BEFORE ${on} ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION bump_config_generation()`).execute(db);
  }
}

/** Names are unique among live objects only: archiving frees a name (docs/design.md). */
async function uniqueLiveName(db: Kysely<any>, table: string): Promise<void> {
  await db.schema.createIndex(`${table}_live_name`).on(table).columns(['organization_id', 'name']).unique().where(sql.ref('archived_at'), 'is', null).execute();
}

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
